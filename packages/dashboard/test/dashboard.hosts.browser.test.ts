// The dashboard of a monitor that fuses several machines, in real headless Chromium against the
// scripted server: the Host column and the card's host, the hosts strip with its stale badge, a
// `hosts` frame turning a host stale and back (its workers marked "host stale", never dead), the
// host filter in the URL and from the strip, the phone layout; and a single-host snapshot that
// shows none of it.
import type { HostView, Snapshot } from "@catalyst/schema";
import { fleetSnapshot, hostsUpdate, multiHostSnapshot } from "@catalyst/test-utils";
import {
  expectVisibleWorkers,
  launchChromium,
  screenshot,
  sharedDashboardBundle,
  waitForConnection,
} from "@catalyst/test-utils/browser";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type ScriptedMonitor, startScriptedMonitor } from "./scripted-monitor.test-helper.js";

const API = "alpha/orch-api";
const WEB = "beta/orch-web";

let publicDir: string;
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

async function open(
  snapshot: Snapshot,
  path = "/",
  viewport = { width: 1400, height: 900 },
): Promise<{ page: Page; problems: string[]; monitor: ScriptedMonitor }> {
  monitor = await startScriptedMonitor({ publicDir, snapshot, snapshotId: 10 });
  const page = await (await browser).newPage({ viewport });
  pages.push(page);
  const problems: string[] = [];
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  await page.goto(new URL(path, monitor.url).href);
  await page.waitForSelector("body[data-ready=true]", { timeout: 10_000 });
  return { page, problems, monitor };
}

const row = (page: Page, orch: string, ticket: string) =>
  page.locator(`tr.worker[data-orch="${orch}"][data-worker="${ticket}"]`);
const headers = (page: Page, orch: string) =>
  page.locator(`section.orch[data-orch="${orch}"] table.workers th`).allTextContents();

function staleBeta(agoMs: number): HostView[] {
  return [
    { name: "alpha", lastHeartbeat: new Date().toISOString(), stale: false },
    { name: "beta", lastHeartbeat: new Date(Date.now() - agoMs).toISOString(), stale: true },
  ];
}

describe("dashboard of several hosts (scripted server)", () => {
  it("shows the Host column, each card's host and the hosts strip with their heartbeats", async () => {
    const { page, problems } = await open(multiHostSnapshot());
    await waitForConnection(page, "live");
    expect(await headers(page, API)).toEqual([
      "Wave",
      "Ticket",
      "Host",
      "Status",
      "Phase",
      "PR · CI",
      "Process",
      "Cost",
      "Updated",
    ]);
    expect(await row(page, API, "CTL-1").locator(".col-host").textContent()).toBe("alpha");
    expect(await row(page, WEB, "WEB-1").locator(".col-host").textContent()).toBe("beta");
    expect(await page.locator(`section.orch[data-orch="${WEB}"] .orch-host`).textContent()).toBe("on beta");
    expect(await page.locator("#hosts").isVisible()).toBe(true);
    expect(await page.locator("#hosts .host").evaluateAll((n) => n.map((x) => x.dataset.host))).toEqual([
      "alpha",
      "beta",
    ]);
    expect(await page.locator('#hosts .host[data-host="alpha"] .host-beat').textContent()).toMatch(
      /^heartbeat \d+s ago$/,
    );
    expect(await page.locator(".host-stale-badge").count()).toBe(0);
    // A pid last seen dead on a fresh host is dead.
    expect(await row(page, WEB, "WEB-2").locator(".col-proc").textContent()).toBe("dead 8002");
    expect(await page.locator("#filter-host").isVisible()).toBe(true);
    await screenshot(page, "dashboard-hosts");
    expect(problems).toEqual([]);
  });

  it("marks a host stale from a hosts frame (its workers 'host stale', not dead) and clears it when the host is back", async () => {
    const { page, monitor } = await open(multiHostSnapshot());
    await waitForConnection(page, "live");
    monitor.push(hostsUpdate(11, staleBeta(2 * 60_000 + 5000)));
    const badge = page.locator('#hosts .host[data-host="beta"] .host-stale-badge');
    await badge.waitFor({ timeout: 10_000 });
    expect(await badge.textContent()).toBe("stale — no heartbeat for 2 min");
    expect(await page.locator("#hosts .count-warn").textContent()).toBe("1 stale");
    expect(await page.locator('#hosts .host[data-host="alpha"] .host-stale-badge').count()).toBe(0);

    // The stale host's rows: marked, keeping their last status, never "dead".
    const web2 = row(page, WEB, "WEB-2");
    await page.waitForSelector(`tr.worker.is-host-stale[data-worker="WEB-2"]`);
    expect(await web2.getAttribute("class")).not.toContain("is-dead");
    expect(await web2.locator(".col-proc").textContent()).toBe("host stale 8002");
    expect(await web2.locator(".col-host").textContent()).toBe("betahost stale");
    expect(await web2.locator(".col-status").textContent()).toBe("shipping");
    expect(await row(page, WEB, "WEB-1").locator(".col-proc").textContent()).toBe("host stale 8001");
    expect(await page.locator(`section.orch[data-orch="${WEB}"] .orch-title`).textContent()).toContain(
      "host stale",
    );
    // The other host's rows are untouched.
    expect(await row(page, API, "CTL-1").getAttribute("class")).not.toContain("is-host-stale");
    expect(await row(page, API, "CTL-1").locator(".col-proc").textContent()).toBe("alive 7001");
    expect(await page.locator(".feed-item").first().textContent()).toContain("host beta stale");
    await screenshot(page, "dashboard-host-stale");

    monitor.push(
      hostsUpdate(
        12,
        // alpha's publisher skipped lines meanwhile: the count shows on its host (issue 28).
        staleBeta(0).map((h) => ({
          ...h,
          stale: false,
          ...(h.name === "alpha" ? { skipped: { lines: 3, files: 1 } } : {}),
        })),
      ),
    );
    await badge.waitFor({ state: "detached", timeout: 10_000 });
    expect(await page.locator('#hosts .host[data-host="alpha"] .host-skipped').textContent()).toBe(
      "3 lines skipped",
    );
    expect(await page.locator('#hosts .host[data-host="beta"] .host-skipped').count()).toBe(0);
    await page.waitForSelector(`tr.worker.is-dead[data-worker="WEB-2"]`);
    expect(await web2.locator(".col-proc").textContent()).toBe("dead 8002");
    expect(await page.locator("tr.worker.is-host-stale").count()).toBe(0);
    expect(await page.locator(".feed-item").first().textContent()).toContain("host beta back");
  });

  it("filters by ?host=, from the select and from the strip, and writes it to the URL", async () => {
    const { page } = await open(multiHostSnapshot(), "/?host=beta");
    await expectVisibleWorkers(page, [`${WEB}/WEB-1`, `${WEB}/WEB-2`]);
    expect(await page.locator("#filter-host").inputValue()).toBe("beta");
    expect(await page.locator('#hosts .host[data-host="beta"] .host-pick').getAttribute("aria-pressed")).toBe(
      "true",
    );
    // The needs-you item of the other host is hidden by the filter.
    expect(await page.locator(".needs-item").count()).toBe(0);

    await page.selectOption("#filter-host", "alpha");
    await expectVisibleWorkers(page, [`${API}/CTL-1`, `${API}/CTL-2`]);
    expect(new URL(page.url()).search).toBe("?host=alpha");

    await page.locator('#hosts .host[data-host="beta"] .host-pick').click();
    await expectVisibleWorkers(page, [`${WEB}/WEB-1`, `${WEB}/WEB-2`]);
    expect(new URL(page.url()).search).toBe("?host=beta");
    // A second click on the picked host shows every host again.
    await page.locator('#hosts .host[data-host="beta"] .host-pick').click();
    await expectVisibleWorkers(page, [`${API}/CTL-1`, `${API}/CTL-2`, `${WEB}/WEB-1`, `${WEB}/WEB-2`]);
    expect(new URL(page.url()).search).toBe("");
  });

  it("keeps the phone layout: no sideways scroll, hosts strip under needs-you, host on each card", async () => {
    const { page, monitor } = await open(multiHostSnapshot(), "/", { width: 390, height: 844 });
    await waitForConnection(page, "live");
    monitor.push(hostsUpdate(11, staleBeta(3 * 60_000)));
    await page.locator(".host-stale-badge").waitFor({ timeout: 10_000 });
    await page.waitForSelector("tr.worker.is-host-stale");
    // Run in the page (a string: this file is typed without the DOM library).
    const got = (await page.evaluate(`(() => {
      const width = document.documentElement.clientWidth;
      const wide = Array.from(document.querySelectorAll("body *"))
        .filter((n) => n.getBoundingClientRect().right > width + 1)
        .map((n) => n.tagName.toLowerCase() + "." + n.className)
        .slice(0, 5);
      return { width, scrollWidth: document.documentElement.scrollWidth, wide };
    })()`)) as { width: number; scrollWidth: number; wide: string[] };
    expect(got.wide).toEqual([]);
    expect(got.scrollWidth).toBeLessThanOrEqual(got.width);
    const needs = await page.locator("#needs-you").boundingBox();
    const hosts = await page.locator("#hosts").boundingBox();
    expect(needs!.y).toBeLessThan(hosts!.y);
    // Rows are cards: the host cell is labelled.
    const label = await page.evaluate(
      `getComputedStyle(document.querySelector('tr.worker[data-worker="WEB-1"] .col-host'), "::before").content`,
    );
    expect(label).toBe('"Host"');
    await screenshot(page, "dashboard-phone-hosts");
  });

  it("shows no host column, strip or filter on a single-host snapshot", async () => {
    const { page } = await open(fleetSnapshot());
    await waitForConnection(page, "live");
    expect(await headers(page, "orch-api-2026-04-14")).toEqual([
      "Wave",
      "Ticket",
      "Status",
      "Phase",
      "PR · CI",
      "Process",
      "Cost",
      "Updated",
    ]);
    expect(await page.locator("td.col-host").count()).toBe(0);
    expect(await page.locator(".orch-host").count()).toBe(0);
    expect(await page.locator("#hosts").isVisible()).toBe(false);
    expect(await page.locator("#hosts *").count()).toBe(0);
    expect(await page.locator("#filter-host").isVisible()).toBe(false);
    expect(await page.locator("section.orch[data-host]").count()).toBe(0);
  });
});
