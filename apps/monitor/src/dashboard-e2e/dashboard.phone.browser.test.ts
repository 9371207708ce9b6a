// The dashboard in real headless Chromium against the real app (createApp over a socket) and a
// real fuse fed from a temp catalyst dir: a phone (390×844) and a desktop (1440×900) with no
// horizontal scroll, worker rows as cards on the phone, field warnings and recovery notes, the
// briefing drawer (markdown through marked + DOMPurify), and the timeline view.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFuse } from "@catalyst/fuse";
import { WORKER_LIFECYCLE } from "@catalyst/schema/constants";
import { scanCatalystDir } from "@catalyst/sources";
import { comesBefore, launchChromium, screenshot, sharedDashboardBundle } from "@catalyst/test-utils/browser";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../server/test-support.test-helper.js";

// Page-side globals used inside page.evaluate callbacks, typed minimally (the app's tsconfig has no
// DOM lib; these callbacks run in the page).
interface PageNode {
  className: string;
  tagName: string;
  innerHTML: string;
  scrollWidth: number;
  clientWidth: number;
  textContent: string | null;
  getBoundingClientRect(): { width: number; right: number };
  closest(selector: string): PageNode | null;
  querySelector(selector: string): PageNode | null;
}
declare const document: {
  documentElement: { clientWidth: number; scrollWidth: number };
  querySelector(selector: string): PageNode | null;
  querySelectorAll(selector: string): ArrayLike<PageNode> & Iterable<PageNode>;
};
declare const window: { __pwned?: number };
declare function getComputedStyle(node: PageNode): { display: string; zIndex: string };

const API = "orch-api-redesign-2026-04-14";
const WEB = "orch-web-2026-04-14";
let root = "";
let publicDir = "";
let server: TestServer;
let browser: Promise<Browser>;
const pages: Page[] = [];

const iso = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();

function signal(orch: string, ticket: string, status: string, phase: number, steps: number, extra = {}) {
  const lifecycle = WORKER_LIFECYCLE;
  const phaseTimestamps: Record<string, string> = {};
  for (let i = 0; i < steps; i++) phaseTimestamps[lifecycle[i]!] = iso(120 - i * 14 - ticket.length);
  return JSON.stringify({
    ticket,
    orchestrator: orch,
    status,
    phase,
    startedAt: iso(125),
    updatedAt: iso(3),
    pid: null,
    phaseTimestamps,
    ...extra,
  });
}

beforeAll(async () => {
  browser = launchChromium();
  browser.catch(() => {});
  root = await mkdtemp(join(tmpdir(), "dashboard-phone-"));
  const dir = join(root, "catalyst");
  const files: Record<string, string> = {
    [`runs/${API}/workers/CTL-48.json`]: signal(API, "CTL-48", "done", 6, 9, {
      pr: { number: 123, url: "https://github.com/acme/api/pull/123", ciStatus: "merged" },
      cost: { costUSD: 1.5, inputTokens: null },
      completedAt: iso(8),
    }),
    [`runs/${API}/workers/CTL-49.json`]: signal(API, "CTL-49", "implementing", 3, 4, {
      fixupCommit: "9f1c2ab7d3e4",
      pr: { number: 124, url: "https://github.com/acme/api/pull/124", ciStatus: "failing" },
    }),
    [`runs/${API}/workers/CTL-50.json`]: signal(API, "CTL-50", "failed", 4, 5, {
      error: "tests failed after 3 attempts",
    }),
    [`runs/${API}/workers/CTL-51-followup-with-a-long-ticket-name.json`]: signal(
      API,
      "CTL-51-followup-with-a-long-ticket-name",
      "planning",
      2,
      3,
      { followUpTo: "CTL-48" },
    ),
    [`runs/${API}/state.json`]: JSON.stringify({
      currentWave: 1,
      totalWaves: 2,
      waves: [
        {
          wave: 1,
          status: "in_progress",
          tickets: ["CTL-48", "CTL-49", "CTL-50", "CTL-51-followup-with-a-long-ticket-name"],
        },
        { wave: 2, status: "blocked", tickets: ["CTL-60"], dependsOn: [1] },
      ],
    }),
    [`runs/${API}/DASHBOARD.md`]: [
      "# Orchestration Dashboard",
      "",
      "| Ticket | Status |",
      "|---|---|",
      "| CTL-48 | done |",
      "",
      "See [the PR](https://github.com/acme/api/pull/123) and [bad](javascript:alert(1)).",
      "",
      '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"><b onclick="window.__pwned = 3">bold</b>',
    ].join("\n"),
    [`runs/${API}/wave-2-briefing.md`]: "## Wave 2\n\n- CTL-60: rate limiter\n",
    [`runs/${WEB}/workers/WEB-7.json`]: signal(WEB, "WEB-7", "validating", 4, 5),
    [`runs/${WEB}/workers/WEB-8.json`]: signal(WEB, "WEB-8", "researching", 1, 2),
    "state.json": JSON.stringify({
      version: "1.0.0",
      orchestrators: {
        [API]: {
          id: API,
          status: "active",
          projectKey: "CTL",
          repository: "acme/api",
          attention: [
            { type: "waiting-for-user", ticketId: "CTL-50", message: "needs a decision", since: iso(20) },
          ],
          workers: { "CTL-49": { status: "implementing", phase: 3, usage: { numTurns: "many" } } },
        },
      },
    }),
  };
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, ".."), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  const fuse = createFuse();
  fuse.apply(await scanCatalystDir(dir), new Date());
  publicDir = await sharedDashboardBundle();
  server = await startTestServer(fuse, { deps: { publicDir, catalystDir: dir } });
}, 120_000);

afterEach(async () => {
  for (const page of pages.splice(0)) await page.close();
});

afterAll(async () => {
  await server?.close();
  await (await browser?.catch(() => null))?.close();
  await rm(root, { recursive: true, force: true });
});

const SIZES = [
  { name: "phone", width: 390, height: 844 },
  { name: "desktop", width: 1440, height: 900 },
] as const;

async function open(
  size: { width: number; height: number },
  hash = "",
): Promise<{ page: Page; problems: string[] }> {
  const page = await (await browser).newPage({ viewport: size });
  pages.push(page);
  const problems: string[] = [];
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  await page.goto(`${server.base}/${hash}`);
  await page.waitForSelector("body[data-ready=true]", { timeout: 15_000 });
  await page.waitForSelector(`section.orch[data-orch="${API}"]`, { timeout: 15_000 });
  return { page, problems };
}

/** Widths that stick out: the page's, and any element wider than the viewport. */
function overflow(page: Page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const wide = Array.from(document.querySelectorAll("body *"))
      .filter((n) => {
        const r = n.getBoundingClientRect();
        return r.width > 0 && r.right > width + 1 && !n.closest(".drawer-body pre, .markdown table");
      })
      .slice(0, 5)
      .map((n) => `${n.tagName.toLowerCase()}.${n.className}`);
    return { scrollWidth: document.documentElement.scrollWidth, width, wide };
  });
}

describe.each(SIZES)("dashboard at $width×$height", (size) => {
  it("has no horizontal overflow, keeps needs-you first, and shows warnings and recovery notes", async () => {
    const { page, problems } = await open(size);
    const got = await overflow(page);
    expect(got.wide).toEqual([]);
    expect(got.scrollWidth).toBeLessThanOrEqual(got.width);
    expect(await comesBefore(page, "#needs-you", "#fleet")).toBe(true);
    const needsTop = await page.locator("#needs-you").boundingBox();
    const fleetTop = await page.locator("#fleet").boundingBox();
    expect(needsTop!.y).toBeLessThan(fleetTop!.y);
    // The done worker with a null cost field is shown done, with its warning.
    const done = page.locator(`tr.worker[data-worker="CTL-48"]`);
    expect(await done.getAttribute("data-status")).toBe("done");
    expect(await done.locator("[data-role=warnings]").textContent()).toBe("⚠ 1 field ignored");
    expect(await done.locator("[data-role=warnings]").getAttribute("title")).toContain(
      "signal file $.cost.inputTokens: expected number, received null",
    );
    const fixup = page.locator(`tr.worker[data-worker="CTL-49"]`);
    expect(await fixup.locator(".note-fixup").textContent()).toBe("fix-up 9f1c2ab");
    expect(await fixup.locator("[data-role=warnings]").getAttribute("title")).toContain(
      "state.json $.usage.numTurns",
    );
    expect(await page.locator(".note-followup").textContent()).toBe("follow-up of CTL-48");
    // A ticket named only by a wave's list shows as queued.
    expect(await page.locator(`tr.worker[data-worker="CTL-60"]`).getAttribute("data-status")).toBe("queued");
    if (size.name === "phone") {
      // Rows are cards: no table header, each row a grid, the ticket on a line of its own.
      expect(await page.locator(".workers thead").first().isVisible()).toBe(false);
      expect(await done.evaluate((n) => getComputedStyle(n as unknown as PageNode).display)).toBe("grid");
      const ticket = await done.locator(".ticket").boundingBox();
      const status = await done.locator(".col-status").boundingBox();
      expect(ticket!.y + ticket!.height).toBeLessThanOrEqual(status!.y + 1);
      // The long ticket name is not cut off.
      const long = page.locator(`tr.worker[data-worker^="CTL-51"] .ticket`);
      expect(
        await long.evaluate(
          (n) => (n as unknown as PageNode).scrollWidth <= (n as unknown as PageNode).clientWidth + 1,
        ),
      ).toBe(true);
    }
    await screenshot(page, `dashboard-${size.name}-fleet`);
    await page.locator(`section.orch[data-orch="${API}"]`).scrollIntoViewIfNeeded();
    await screenshot(page, `dashboard-${size.name}-card`);
    expect(problems).toEqual([]);
  });

  it("opens a briefing in the drawer, rendered and sanitised", async () => {
    const { page, problems } = await open(size);
    await page.locator(`section.orch[data-orch="${API}"] [data-briefing=dashboard]`).click();
    const body = page.locator("#briefing-drawer [data-role=briefing-body][data-loaded=true]");
    await body.waitFor({ timeout: 10_000 });
    expect(await body.locator("h1").textContent()).toBe("Orchestration Dashboard");
    expect(await body.locator("table td").first().textContent()).toBe("CTL-48");
    expect(await body.locator("b").textContent()).toBe("bold");
    const html = await body.evaluate((n) => (n as unknown as PageNode).innerHTML);
    expect(html).not.toMatch(/<script|onerror|onclick|<img|javascript:/i);
    const link = body.locator("a", { hasText: "the PR" });
    expect(await link.getAttribute("target")).toBe("_blank");
    expect(await link.getAttribute("rel")).toBe("noopener noreferrer");
    expect(await page.evaluate(() => window.__pwned ?? null)).toBeNull();
    const got = await overflow(page);
    expect(got.scrollWidth).toBeLessThanOrEqual(got.width);
    await screenshot(page, `dashboard-${size.name}-briefing`);
    // Another tab loads the wave briefing; Escape closes the drawer.
    await page.locator("#briefing-drawer .tab", { hasText: "Wave 2 briefing" }).click();
    await page.waitForFunction(
      () =>
        document.querySelector("#briefing-drawer [data-role=briefing-body][data-loaded=true] h2")
          ?.textContent === "Wave 2",
    );
    await page.keyboard.press("Escape");
    expect(await page.locator("#briefing-drawer").isHidden()).toBe(true);
    expect(problems).toEqual([]);
  });

  it("shows an orchestrator as a timeline: a row per worker, spans per phase, a now edge", async () => {
    const { page, problems } = await open(size);
    await page.locator(`section.orch[data-orch="${API}"] [data-view=timeline]`).click();
    const timeline = page.locator(`.timeline[data-orch="${API}"]`);
    await timeline.waitFor({ timeout: 10_000 });
    expect(await timeline.locator(".tl-row").count()).toBe(5);
    // CTL-48 went through all nine statuses; the open span of CTL-49 reaches the now edge.
    expect(await timeline.locator(`.tl-row[data-worker="CTL-48"] .tl-seg`).count()).toBe(9);
    expect(await timeline.locator(`.tl-row[data-worker="CTL-49"] .tl-seg.tl-open`).count()).toBe(1);
    const open49 = await timeline.locator(`.tl-row[data-worker="CTL-49"] .tl-seg.tl-open`).boundingBox();
    const edge = await timeline.locator(".tl-now").boundingBox();
    // The open span runs under the veil that starts at now; finished spans end before now.
    expect(open49!.x).toBeLessThan(edge!.x);
    expect(open49!.x + open49!.width).toBeGreaterThanOrEqual(edge!.x);
    const done48 = await timeline.locator(`.tl-row[data-worker="CTL-48"] .tl-seg`).last().boundingBox();
    expect(done48!.x + done48!.width).toBeLessThanOrEqual(edge!.x + 1);
    expect(
      await timeline.locator(".tl-now").evaluate((n) => getComputedStyle(n as unknown as PageNode).zIndex),
    ).toBe("1");
    const got = await overflow(page);
    expect(got.wide).toEqual([]);
    expect(got.scrollWidth).toBeLessThanOrEqual(got.width);
    // The choice survives a reload (it is kept in the URL hash).
    expect(new URL(page.url()).hash).toContain("timeline=");
    await timeline.scrollIntoViewIfNeeded();
    await screenshot(page, `dashboard-${size.name}-timeline`);
    expect(problems).toEqual([]);
  });
});
