// The dashboard's time scrubber (issue 25) in real headless Chromium against the real app
// (createApp over a socket) with the engine's real time travel on a temp event log: `?at=` shows
// that moment (the bar, the worker grid and the needs-you panel as they were then), and "back to
// live" returns to the live fleet and drops `?at=` from the URL.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTimeTravel } from "@catalyst/engine";
import { readEvents } from "@catalyst/sources";
import { createScriptedFeed } from "@catalyst/test-utils";
import {
  bodyData,
  launchChromium,
  openPage,
  rowStatus,
  screenshot,
  sharedDashboardBundle,
  waitForRowStatus,
} from "@catalyst/test-utils/browser";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../server/test-support.test-helper.js";

const ORCH = "orch-tt";
const line = (ts: string, event: string, worker: string | null, detail: unknown = null) =>
  JSON.stringify({ ts, orchestrator: ORCH, worker, event, detail });

let root = "";
let publicDir = "";
let server: TestServer;
let browser: Promise<Browser>;

beforeAll(async () => {
  browser = launchChromium();
  browser.catch(() => {});
  root = await mkdtemp(join(tmpdir(), "dashboard-tt-"));
  const dir = join(root, "catalyst");
  await mkdir(join(dir, "events"), { recursive: true });
  await writeFile(
    join(dir, "events", "2026-04.jsonl"),
    `${[
      line("2026-04-14T01:00:00Z", "orchestrator-started", null, { tickets: ["CTL-1"] }),
      line("2026-04-14T01:05:00Z", "worker-dispatched", "CTL-1"),
      line("2026-04-14T02:00:00Z", "worker-status-change", "CTL-1", { from: "researching", to: "planning" }),
      line("2026-04-14T02:30:00Z", "worker-needs-input", "CTL-1", { question: "which DB?" }),
      line("2026-04-14T04:00:00Z", "worker-resumed", "CTL-1"),
      line("2026-04-14T04:10:00Z", "worker-status-change", "CTL-1", { from: "planning", to: "implementing" }),
    ].join("\n")}\n`,
  );
  publicDir = await sharedDashboardBundle();
  const travel = createTimeTravel({ catalystDir: dir, cacheDir: join(root, "cache") });
  server = await startTestServer(createScriptedFeed(), {
    deps: { publicDir, catalystDir: dir, readEvents, snapshotAt: travel.snapshotAt },
  });
}, 120_000);

afterAll(async () => {
  await (await browser?.catch(() => null))?.close();
  await server?.close();
  await rm(root, { recursive: true, force: true });
});

describe("dashboard time travel in Chromium", () => {
  it("?at= shows that moment with a 'viewing' bar, and 'back to live' returns", async () => {
    const { page, problems } = await openPage(await browser, `${server.base}/?at=2026-04-14T03:00:00Z`);
    await page.waitForSelector("[data-role=tt-bar]:not([hidden])");
    await page.waitForSelector('tr.worker[data-worker="CTL-1"]');
    expect(await page.locator("[data-role=tt-bar]").textContent()).toContain(
      "viewing 2026-04-14 03:00:00 UTC",
    );
    expect(await rowStatus(page, ORCH, "CTL-1")).toBe("planning");
    // At 03:00 the worker was waiting on a question: the needs-you panel shows it.
    expect(await page.locator(`#needs-you .needs-item[data-worker="CTL-1"]`).count()).toBe(1);
    // The scrubber spans the log: its left end is the first line.
    await page.waitForSelector(".tt-range:not([disabled])");
    expect(await page.locator(".tt-range").getAttribute("min")).toBe(
      String(Date.parse("2026-04-14T01:00:00Z")),
    );

    // Typing another time moves there, and the URL shares it.
    await page.fill(".tt-input", "2026-04-14 05:00");
    await page.press(".tt-input", "Enter");
    await page.waitForSelector('body[data-viewing="2026-04-14T05:00:00.000Z"]');
    await waitForRowStatus(page, ORCH, "CTL-1", "implementing");
    expect(new URL(page.url()).searchParams.get("at")).toBe("2026-04-14T05:00:00.000Z");
    await screenshot(page, "dashboard-time-travel");

    await page.click("[data-role=tt-live]");
    await page.waitForSelector("[data-role=tt-bar][hidden]", { state: "attached" });
    expect(new URL(page.url()).searchParams.get("at")).toBeNull();
    expect(await bodyData(page, "viewing")).toBe("");
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);
});
