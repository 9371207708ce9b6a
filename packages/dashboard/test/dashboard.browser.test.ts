// The dashboard in real headless Chromium against a scripted stand-in server, which lets each
// test send exact frames: load and fleet, live deltas, filters, needs-you, reconnect after a
// restart on the same port, and hostile strings. The real app is covered by dashboard.e2e.test.ts.
import { fleetSnapshot, workerUpdate, workerView } from "@catalyst/test-utils";
import {
  bodyData,
  comesBefore,
  expectVisibleWorkers,
  launchChromium,
  openPage,
  screenshot,
  scrollToTop,
  sharedDashboardBundle,
  waitForConnection,
  waitForCount,
  waitForRowStatus,
  waitForTextChange,
} from "@catalyst/test-utils/browser";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type ScriptedMonitor, startScriptedMonitor } from "./scripted-monitor.test-helper.js";

const API = "orch-api-2026-04-14";
const WEB = "orch-web-2026-04-14";

let publicDir: string;
// Launched once; a launch failure (no Chromium) fails every test with its message, not a skip.
let browser: Promise<Browser>;
let monitor: ScriptedMonitor | null = null;
const pages: Page[] = [];

beforeAll(async () => {
  browser = launchChromium();
  browser.catch(() => {});
  publicDir = await sharedDashboardBundle();
}, 120_000);

afterEach(async () => {
  for (const page of pages.splice(0)) await page.close();
  await monitor?.stop().catch(() => {});
  monitor = null;
});

afterAll(async () => {
  await (await browser?.catch(() => null))?.close();
});

async function open(path = "/"): Promise<{ page: Page; problems: string[]; monitor: ScriptedMonitor }> {
  monitor ??= await startScriptedMonitor({ publicDir, snapshot: fleetSnapshot(), snapshotId: 10 });
  const opened = await openPage(await browser, new URL(path, monitor.url).href);
  pages.push(opened.page);
  await opened.page.waitForSelector("body[data-ready=true]", { timeout: 10_000 });
  return { ...opened, monitor };
}

describe("dashboard in Chromium (scripted server)", () => {
  it("loads and shows the fleet: needs-you first, orchestrator cards, worker grid, connection state", async () => {
    const { page, problems } = await open();
    await waitForConnection(page, "live");
    await expectVisibleWorkers(page, [
      `${API}/CTL-48`,
      `${API}/CTL-49`,
      `${API}/CTL-50`,
      `${API}/CTL-51`,
      `${API}/CTL-52`,
      `${API}/CTL-53`,
      `${WEB}/WEB-7`,
      `${WEB}/WEB-8`,
      `${WEB}/WEB-9`,
    ]);
    // The needs-you panel comes before the fleet and lists the three items.
    expect(await comesBefore(page, "#needs-you", "#fleet")).toBe(true);
    expect(await page.locator(".needs-item").count()).toBe(3);
    expect(await page.locator("#needs-you .count").textContent()).toBe("3");
    expect(await page.title()).toBe("(3) Catalyst fleet monitor");

    // Orchestrator card: progress, wave, cost.
    const card = page.locator(`section.orch[data-orch="${API}"]`);
    expect(await card.locator(".stat-progress .stat-value").textContent()).toBe("1/6 done");
    expect(await card.locator(".stat-wave .stat-value").textContent()).toBe("1 / 2");
    expect(await card.locator(".stat-cost .stat-value").textContent()).toBe("$5.17");

    // Worker grid cells: status, PR + CI, process, corrupt marker, stale age.
    const row = (t: string) => card.locator(`tr.worker[data-worker="${t}"]`);
    expect(await row("CTL-48").locator(".col-pr").textContent()).toContain("#123");
    expect(await row("CTL-48").locator(".col-pr").textContent()).toContain("CI passing");
    expect(await row("CTL-48").locator(".col-proc").textContent()).toBe("dead 4242");
    expect(await row("CTL-49").locator(".col-proc").textContent()).toBe("alive 4243");
    expect(await row("CTL-51").locator(".col-ticket").textContent()).toContain("corrupt");
    expect(await row("CTL-51").locator(".age.stale").count()).toBe(1);
    expect(await row("CTL-52").locator(".col-pr").textContent()).toContain("merged");

    // Spend: the header's today and burn figures, and the tickets that cost the most, most first.
    expect(await page.locator("#fleet-spend").textContent()).toMatch(
      /^(\$[\d.]+|<\$0\.01) today(\$[\d.]+|<\$0\.01)\/h burn$/,
    );
    expect(await page.locator("#top-spenders .spender-cost").allTextContents()).toEqual([
      "$2.50",
      "$1.92",
      "$0.75",
    ]);

    expect(await page.locator("#snapshot-time").getAttribute("data-last-id")).toBe("10");
    expect(await page.locator(".feed-item").first().textContent()).toContain(
      "snapshot: 2 orchestrators, 9 workers",
    );
    await screenshot(page, "dashboard-fleet");
    expect(problems).toEqual([]);
  });

  it("patches rows from deltas, keeps ages ticking, and lists the change in the event stream", async () => {
    const { page, monitor } = await open();
    await waitForConnection(page, "live");
    const age = page.locator(`tr.worker[data-worker="WEB-7"] .age`);
    const firstAge = await age.textContent();
    await waitForTextChange(page, `tr.worker[data-worker="WEB-7"] .age`, firstAge);

    monitor.push(
      workerUpdate(11, workerView(WEB, "WEB-7", { status: "shipping", phase: 5, pid: 5001, alive: true })),
    );
    await waitForRowStatus(page, WEB, "WEB-7", "shipping");
    // Highlighted as changed (the class itself is removed again after 2.5 s).
    expect(
      await page.locator(`tr.worker[data-worker="WEB-7"]`).getAttribute("data-changed-at"),
    ).not.toBeNull();
    const line = page.locator(".feed-item").first();
    expect(await line.textContent()).toContain("WEB-7");
    expect(await line.textContent()).toContain("validating → shipping");

    monitor.push({
      id: 12,
      event: "needs-you",
      data: { ts: new Date().toISOString(), added: [], changed: [], removed: fleetSnapshot().needsYou },
    });
    await page.waitForSelector("#needs-you .all-clear");
    monitor.push({
      id: 13,
      event: "worker-removed",
      data: { orchestrator: WEB, worker: "WEB-8", ts: new Date().toISOString() },
    });
    await page.waitForSelector(`tr.worker[data-worker="WEB-8"]`, { state: "detached" });
    expect(await page.locator("#snapshot-time").getAttribute("data-last-id")).toBe("13");
    await screenshot(page, "dashboard-after-deltas");
  });

  it("filters by ?orch=, ?status= and ?project=, and writes select changes back to the URL", async () => {
    const { page } = await open(`/?project=web`);
    await expectVisibleWorkers(page, [`${WEB}/WEB-7`, `${WEB}/WEB-8`, `${WEB}/WEB-9`]);
    expect(await page.locator(".needs-item").count()).toBe(0);
    expect(await page.locator("#needs-you .hidden-note").textContent()).toContain("3 more hidden");

    await page.goto(new URL(`/?status=failed,stalled,dispatched`, page.url()).href);
    await page.waitForSelector("body[data-ready=true]");
    await expectVisibleWorkers(page, [`${API}/CTL-50`, `${API}/CTL-53`]);
    expect(await page.locator(".filter-count").textContent()).toBe("showing 2 of 9 workers");

    await page.goto(new URL(`/?orch=orch-web&status=active`, page.url()).href);
    await page.waitForSelector("body[data-ready=true]");
    await expectVisibleWorkers(page, [`${WEB}/WEB-7`, `${WEB}/WEB-8`, `${WEB}/WEB-9`]);

    await page.locator("#clear-filters").click();
    await page.selectOption("#filter-status", "failed");
    await expectVisibleWorkers(page, [`${API}/CTL-50`]);
    expect(new URL(page.url()).search).toBe("?status=failed");
    await page.selectOption("#filter-orch", WEB);
    await page.waitForSelector(".empty.big");
    expect(new URL(page.url()).searchParams.get("orch")).toBe(WEB);
    await page.selectOption("#filter-status", "");
    await page.selectOption("#filter-project", "WEB");
    await expectVisibleWorkers(page, [`${WEB}/WEB-7`, `${WEB}/WEB-8`, `${WEB}/WEB-9`]);
    await screenshot(page, "dashboard-filtered");
  });

  it("needs-you items jump to their row and follow needs-you deltas", async () => {
    const { page, monitor } = await open();
    await page.locator('.needs-item[data-worker="CTL-50"]').click();
    await page.waitForSelector('tr.worker.flash[data-worker="CTL-50"]');
    expect(await page.locator(".needs-item").first().getAttribute("data-reason")).toBe("failed");

    monitor.push({
      id: 11,
      event: "needs-you",
      data: {
        ts: new Date().toISOString(),
        added: [
          {
            orchestrator: WEB,
            worker: "WEB-9",
            reason: "attention",
            message: "merge-conflict: rebase needed",
            since: null,
          },
        ],
        changed: [],
        removed: fleetSnapshot().needsYou,
      },
    });
    await waitForCount(page, ".needs-item", 1);
    expect(await page.locator(".needs-item").textContent()).toContain("merge-conflict: rebase needed");

    // A periodic snapshot that reports an unreadable global state.json: shown first, not filterable.
    const withError = fleetSnapshot();
    withError.sourceErrors = [
      {
        file: "/tmp/catalyst/state.json",
        reason: "Unexpected token } in JSON",
        since: new Date().toISOString(),
      },
    ];
    monitor.push({ id: 12, event: "snapshot", data: withError });
    await page.waitForSelector(".needs-item.needs-source");
    expect(await page.locator(".needs-item").first().textContent()).toContain("/tmp/catalyst/state.json");
    expect(await page.locator("#needs-you .count").textContent()).toBe("4");
    await scrollToTop(page);
    await screenshot(page, "dashboard-needs-you");
  });

  it("says so when the catalyst dir has no orchestrators yet, then shows the first one as it appears", async () => {
    monitor = await startScriptedMonitor({
      publicDir,
      snapshot: { generatedAt: new Date().toISOString(), orchestrators: [], needsYou: [], sourceErrors: [] },
      snapshotId: 0,
    });
    const { page } = await open();
    await page.waitForSelector("#fleet .empty.big");
    expect(await page.locator("#fleet").textContent()).toContain("No orchestrators found");
    const orch = fleetSnapshot().orchestrators[1]!;
    const { workers: _workers, ...summary } = orch;
    monitor.push({
      id: 1,
      event: "orchestrator-update",
      data: { orchestrator: orch.id, ts: new Date().toISOString(), orchestratorState: summary },
    });
    monitor.push(workerUpdate(2, orch.workers["WEB-7"]!));
    await waitForRowStatus(page, WEB, "WEB-7", "validating");
    expect(await page.locator("#fleet .empty.big").count()).toBe(0);
  });

  it("shows a progress indicator while the monitor is still loading, until the full snapshot", async () => {
    const loadingSnapshot = {
      ...fleetSnapshot(),
      loading: { phase: "history" as const, records: 12_000, startedAt: new Date().toISOString() },
    };
    monitor = await startScriptedMonitor({ publicDir, snapshot: loadingSnapshot, snapshotId: 10 });
    const { page } = await open();
    await page.waitForSelector('#snapshot-time .loading-indicator[role="progressbar"]');
    expect(await page.locator("#snapshot-time").textContent()).toContain(
      "loading event history (12,000 lines)",
    );
    // The fleet read so far is already shown.
    await waitForRowStatus(page, WEB, "WEB-7", fleetSnapshot().orchestrators[1]!.workers["WEB-7"]!.status);
    monitor.push({ id: 11, event: "snapshot", data: fleetSnapshot() });
    await page.waitForSelector("#snapshot-time .loading-indicator", { state: "detached" });
    expect(await page.locator("#snapshot-time").textContent()).toContain("data as of");
  });

  it("shows hostile strings as text and never links a javascript: URL", async () => {
    const { page, problems } = await open();
    const title = await page.locator(`tr.worker[data-worker="WEB-9"] .ticket-sub`).textContent();
    expect(title).toContain("<img src=x onerror=");
    expect(await page.locator("#fleet img").count()).toBe(0);
    expect(await page.locator(`tr.worker[data-worker="WEB-9"] .col-pr a`).count()).toBe(0);
    expect(await bodyData(page, "pwned")).toBeNull();
    expect(problems).toEqual([]);
  });

  it("reconnects with backoff after a server restart on the same port and takes the new snapshot", async () => {
    const { page, monitor } = await open();
    await waitForConnection(page, "live");
    monitor.push(
      workerUpdate(11, workerView(API, "CTL-49", { status: "validating", phase: 4, pid: 4243, alive: true })),
    );
    await waitForRowStatus(page, API, "CTL-49", "validating");

    await monitor.stop();
    await waitForConnection(page, "reconnecting");
    expect(await page.locator("#connection").textContent()).toMatch(/reconnecting in \d+s/);
    await screenshot(page, "dashboard-reconnecting");

    // The new instance numbers from 1 again and has moved on: CTL-49 is now shipping.
    const next = fleetSnapshot();
    const api = next.orchestrators.find((o) => o.id === API)!;
    api.workers["CTL-49"] = workerView(API, "CTL-49", { status: "shipping", phase: 5 });
    await monitor.restart(next, 3);
    await waitForConnection(page, "live", 20_000);
    await waitForRowStatus(page, API, "CTL-49", "shipping");
    // A restarted server's ids mean different events: the client must not resume from id 11.
    expect(monitor.eventRequests.at(-1)).not.toContain("lastEventId");
    expect(await page.locator("#snapshot-time").getAttribute("data-last-id")).toBe("3");
    const feed = await page.locator(".feed-item").allTextContents();
    expect(feed.some((t) => t.includes("disconnected"))).toBe(true);
    expect(feed.some((t) => t.includes("reconnected"))).toBe(true);
    await screenshot(page, "dashboard-reconnected");
  });

  it("resumes with ?lastEventId= after a network blip to the same server, without a gap", async () => {
    const { page, monitor } = await open();
    await waitForConnection(page, "live");
    monitor.push(
      workerUpdate(
        11,
        workerView(WEB, "WEB-8", { status: "implementing", phase: 3, pid: 5002, alive: true }),
      ),
    );
    await waitForRowStatus(page, WEB, "WEB-8", "implementing");
    monitor.dropClients();
    // Sent while the page is disconnected: only a resume can deliver it.
    monitor.push(
      workerUpdate(12, workerView(WEB, "WEB-8", { status: "validating", phase: 4, pid: 5002, alive: true })),
    );
    await waitForRowStatus(page, WEB, "WEB-8", "validating", 20_000);
    await waitForConnection(page, "live");
    expect(monitor.eventRequests.at(-1)).toContain("lastEventId=11");
    expect(await page.locator("#connection").textContent()).toContain("resumed");
    const feed = await page.locator(".feed-item").allTextContents();
    expect(feed.some((t) => t.includes("reconnected, resumed without a gap"))).toBe(true);
  });
});
