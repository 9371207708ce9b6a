// The dashboard against the real monitor: the built `dist/bin.js` (run from a private copy) as a
// child process on a temp catalyst dir. A signal file changed on disk (tmp + rename, as writers do) must change its row;
// a restart of the monitor on the same port must be survived; the demo fleet must render.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeAtomic } from "@catalyst/test-utils";
import {
  buildMonitorApp,
  computedStyle,
  expectVisibleWorkers,
  launchChromium,
  openPage,
  screenshot,
  waitForAtLeast,
  waitForConnection,
  waitForCount,
  waitForRowStatus,
} from "@catalyst/test-utils/browser";

import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

const ORCH = "orch-e2e-2026-04-14";

interface RunningBin {
  child: ChildProcess;
  url: string;
  port: number;
  output: () => string;
}

/** Starts `node dist/bin.js <args>` and resolves with the URL from its `listening on` line. */
function startBin(args: string[], timeoutMs = 20_000): Promise<RunningBin> {
  const child = spawn(process.execPath, [join(appDir, "bin.js"), ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, GITHUB_TOKEN: "", GH_TOKEN: "" },
  });
  let out = "";
  const output = () => out;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`monitor did not print its URL within ${timeoutMs} ms; output:\n${out}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /catalyst-monitor listening on (http:\/\/127\.0\.0\.1:(\d+)\/)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]!, port: Number(match[2]), output });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`monitor exited with ${code} before listening; output:\n${out}`));
    });
  });
}

/** SIGTERM and wait for the exit (the monitor promises to exit within a second). */
async function stopBin(bin: RunningBin | null): Promise<void> {
  if (!bin || bin.child.exitCode !== null || bin.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => bin.child.once("exit", () => resolve()));
  bin.child.kill("SIGTERM");
  const timer = setTimeout(() => bin.child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

/** Writes JSON the way Catalyst's writers do: a temp file, then rename over the target. */
function signal(ticket: string, status: string, phase: number, extra: Record<string, unknown> = {}): string {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  return `${JSON.stringify(
    {
      ticket,
      orchestrator: ORCH,
      workerName: `${ORCH}-${ticket}`,
      status,
      phase,
      startedAt: "2026-04-14T18:37:51Z",
      updatedAt: now,
      pid: null,
      lastHeartbeat: null,
      phaseTimestamps: { dispatched: "2026-04-14T18:37:51Z" },
      completedAt: null,
      cost: null,
      pr: null,
      linearState: null,
      definitionOfDone: {},
      ...extra,
    },
    null,
    2,
  )}\n`;
}

// Launched once; a launch failure (no Chromium) fails every test with its message, not a skip.
let browser: Promise<Browser>;
/** A private copy of the built app: bin.js and public/ (see buildMonitorApp). */
let appDir: string;
let catalystDir: string;
let bin: RunningBin | null = null;
/** Stand-in worker processes started by a test; killed after it. */
const children: ChildProcess[] = [];
const pages: Page[] = [];

beforeAll(async () => {
  browser = launchChromium();
  browser.catch(() => {});
  appDir = await buildMonitorApp();
}, 180_000);

afterEach(async () => {
  for (const page of pages.splice(0)) await page.close();
  await stopBin(bin);
  bin = null;
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  if (catalystDir) await rm(catalystDir, { recursive: true, force: true });
});

afterAll(async () => {
  await (await browser?.catch(() => null))?.close();
  if (appDir) await rm(appDir, { recursive: true, force: true });
});

async function makeCatalystDir(): Promise<string> {
  catalystDir = await mkdtemp(join(tmpdir(), "catalyst-dashboard-e2e-"));
  const workers = join(catalystDir, "runs", ORCH, "workers");
  await mkdir(workers, { recursive: true });
  await writeAtomic(
    join(catalystDir, "runs", ORCH, "state.json"),
    JSON.stringify({
      id: ORCH,
      orchestrator: ORCH,
      startedAt: "2026-04-14T18:37:02Z",
      totalWaves: 2,
      currentWave: 1,
      waves: [
        { wave: 1, status: "in_progress", tickets: ["CTL-1", "CTL-2"] },
        { wave: 2, status: "blocked", tickets: ["CTL-3"], dependsOn: [1] },
      ],
    }),
  );
  await writeAtomic(join(workers, "CTL-1.json"), signal("CTL-1", "implementing", 3));
  await writeAtomic(join(workers, "CTL-2.json"), signal("CTL-2", "researching", 1));
  await writeAtomic(join(workers, "CTL-3.json"), signal("CTL-3", "dispatched", 0));
  return catalystDir;
}

async function openDashboard(url: string): Promise<Page> {
  const { page } = await openPage(await browser, url);
  pages.push(page);
  await page.waitForSelector("body[data-ready=true]", { timeout: 15_000 });
  return page;
}

describe("dashboard in Chromium against the real monitor (dist/bin.js)", () => {
  it("shows the fleet from disk and changes a row when its signal file changes", async () => {
    const dir = await makeCatalystDir();
    bin = await startBin(["--dir", dir, "--port", "0"]);
    const page = await openDashboard(bin.url);
    await waitForConnection(page, "live");
    await waitForCount(page, "tr.worker", 3, 15_000);
    await expectVisibleWorkers(page, [`${ORCH}/CTL-1`, `${ORCH}/CTL-2`, `${ORCH}/CTL-3`]);
    await waitForRowStatus(page, ORCH, "CTL-1", "implementing");

    const workers = join(dir, "runs", ORCH, "workers");
    await writeAtomic(join(workers, "CTL-1.json"), signal("CTL-1", "validating", 4));
    await waitForRowStatus(page, ORCH, "CTL-1", "validating", 15_000);
    expect(await page.locator(".feed-item").allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining("implementing → validating")]),
    );

    // A half-written file (FORMATS §5.10): the last good row stays, marked corrupt.
    await writeAtomic(join(workers, "CTL-2.json"), '{"ticket":"CTL-2","status":"plann');
    await page.waitForSelector(`tr.worker.is-corrupt[data-worker="CTL-2"]`, { timeout: 15_000 });
    expect(await page.locator(`tr.worker[data-worker="CTL-2"] .col-status`).textContent()).toBe(
      "researching",
    );

    await page.goto(new URL("/?status=validating", bin.url).href);
    await page.waitForSelector("body[data-ready=true]");
    await expectVisibleWorkers(page, [`${ORCH}/CTL-1`]);
    await screenshot(page, "e2e-real-monitor");
  }, 60_000);

  it("shows a worker's real process alive, then dead, and lists it under needs you", async () => {
    const dir = await makeCatalystDir();
    const sleeper = spawn("sleep", ["120"], { stdio: "ignore" });
    children.push(sleeper);
    const pid = sleeper.pid!;
    const workers = join(dir, "runs", ORCH, "workers");
    // startedAt = now: a process that started long after a worker's dispatch is a reused pid.
    await writeAtomic(
      join(workers, "CTL-1.json"),
      signal("CTL-1", "implementing", 3, { pid, startedAt: new Date().toISOString() }),
    );
    bin = await startBin(["--dir", dir, "--port", "0"]);
    const page = await openDashboard(bin.url);
    const proc = page.locator(`tr.worker[data-worker="CTL-1"] .col-proc`);
    await page.waitForSelector(`tr.worker[data-worker="CTL-1"] .proc-alive`, { timeout: 20_000 });
    expect(await proc.textContent()).toBe(`alive ${pid}`);

    const exited = new Promise((resolve) => sleeper.once("exit", resolve));
    sleeper.kill("SIGKILL");
    await exited;
    // The liveness poller checks every 5 s.
    await page.waitForSelector(`tr.worker[data-worker="CTL-1"] .proc-dead`, { timeout: 20_000 });
    expect(await proc.textContent()).toBe(`dead ${pid}`);
    await page.waitForSelector(`.needs-item[data-reason="dead"][data-worker="CTL-1"]`, { timeout: 10_000 });
    await screenshot(page, "e2e-dead-worker");
  }, 60_000);

  it("reconnects after the monitor restarts on the same port and keeps following the files", async () => {
    const dir = await makeCatalystDir();
    bin = await startBin(["--dir", dir, "--port", "0"]);
    const port = bin.port;
    const page = await openDashboard(bin.url);
    await waitForConnection(page, "live");
    await waitForRowStatus(page, ORCH, "CTL-3", "dispatched", 15_000);

    await stopBin(bin);
    await waitForConnection(page, "reconnecting");
    const workers = join(dir, "runs", ORCH, "workers");
    await writeAtomic(join(workers, "CTL-3.json"), signal("CTL-3", "researching", 1));
    bin = await startBin(["--dir", dir, "--port", String(port)]);
    await waitForConnection(page, "live", 30_000);
    await waitForRowStatus(page, ORCH, "CTL-3", "researching", 15_000);

    await writeAtomic(join(workers, "CTL-3.json"), signal("CTL-3", "planning", 2));
    await waitForRowStatus(page, ORCH, "CTL-3", "planning", 15_000);
    await screenshot(page, "e2e-after-restart");
  }, 60_000);

  it("works when the monitor requires a token (--token): the page passes ?token= on", async () => {
    const dir = await makeCatalystDir();
    bin = await startBin(["--dir", dir, "--port", "0", "--token", "s3cret-e2e"]);
    const { page, problems } = await openPage(await browser, new URL("/?token=s3cret-e2e", bin.url).href);
    pages.push(page);
    await page.waitForSelector("body[data-ready=true]", { timeout: 15_000 });
    await waitForConnection(page, "live");
    await waitForCount(page, "tr.worker", 3, 15_000);
    // Styles applied: the stylesheet came through with the token too.
    expect(await computedStyle(page, "#connection", "border-top-left-radius")).toBe("999px");
    await page.selectOption("#filter-status", "dispatched");
    await expectVisibleWorkers(page, [`${ORCH}/CTL-3`]);
    expect(new URL(page.url()).searchParams.get("token")).toBe("s3cret-e2e");
    expect(problems).toEqual([]);
  }, 60_000);

  it("renders the demo fleet (the README's first command)", async () => {
    bin = await startBin(["--demo", "--port", "0"]);
    const page = await openDashboard(bin.url);
    await waitForConnection(page, "live");
    await page.waitForSelector("section.orch", { timeout: 15_000 });
    expect(await page.locator("section.orch").count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator("tr.worker").count()).toBeGreaterThanOrEqual(6);
    // The execution-core pipeline as a board with the columns Catalyst's own board uses (issue 23).
    const board = page.locator('section.orch[data-orch="execution-core"] .pipeline-board');
    await board.waitFor({ timeout: 15_000 });
    expect(await board.locator(".pipeline-col").allInnerTexts()).toEqual(
      expect.arrayContaining([expect.stringContaining("Triage"), expect.stringContaining("Validate")]),
    );
    expect(await board.locator(".pill-ticket").count()).toBeGreaterThanOrEqual(3);
    // The simulation moves on every tick: live lines arrive after the snapshot line.
    await waitForAtLeast(page, ".feed-item", 4, 30_000);
    await screenshot(page, "e2e-demo-fleet");
  }, 60_000);
});
