// Render cost of the dashboard in headless Chromium for a 100 × 20 fleet (the P1 fleet size):
// first paint of 2,000 rows, then 500 worker-update deltas in bursts of 50. Reads the page's own
// render timings (body[data-render-stats]), against a baseline run with the off-screen skipping
// (content-visibility) turned off; then the timeline view of one 2,000-worker orchestrator
// (`--timeline-only` runs just that; TL_WORKERS=500 for a quick look). Run: pnpm exec tsx packages/dashboard/bench/render-bench.ts
import type { Snapshot } from "@catalyst/schema";
import { orchestratorView, workerUpdate, workerView } from "@catalyst/test-utils";
import { load, machine } from "@catalyst/test-utils/bench";
import { buildDashboardBundle, launchChromium, openPage, waitForLastId } from "@catalyst/test-utils/browser";
import type { Browser } from "playwright-core";
import { type ScriptedMonitor, startScriptedMonitor } from "../test/scripted-monitor.test-helper.js";

const ORCHS = 100;
const WORKERS = 20;
const DELTAS = 500;
const BURST = 50;

interface RenderStats {
  renders: number;
  totalMs: number;
  maxMs: number;
}

const id = (i: number) => `orch-${String(i).padStart(3, "0")}`;
const ticket = (i: number, j: number) => `CTL-${i * 100 + j}`;

function bigFleet(): Snapshot {
  const orchestrators = Array.from({ length: ORCHS }, (_, i) =>
    orchestratorView(
      id(i),
      Array.from({ length: WORKERS }, (_, j) =>
        workerView(id(i), ticket(i, j), { pid: 1000 + j, alive: true, wave: j < WORKERS / 2 ? 1 : 2 }),
      ),
    ),
  );
  return { generatedAt: new Date().toISOString(), orchestrators, needsYou: [], sourceErrors: [] };
}

/** One run: load the fleet, then send the deltas; `extraCss` lets the baseline undo an optimisation. */
async function runVariant(
  browser: Browser,
  url: string,
  monitor: ScriptedMonitor,
  firstId: number,
  extraCss: string | null,
) {
  const started = Date.now();
  const { page } = await openPage(browser, url);
  if (extraCss) await page.addStyleTag({ content: extraCss });
  await page.waitForSelector("body[data-ready=true]", { timeout: 60_000 });
  const firstLoadMs = Date.now() - started;
  const stats = async () =>
    JSON.parse((await page.getAttribute("body", "data-render-stats")) ?? "{}") as RenderStats;
  const first = await stats();
  const rows = await page.locator("tr.worker").count();
  let next = firstId;
  const t0 = Date.now();
  for (let sent = 0; sent < DELTAS; sent += BURST) {
    for (let k = 0; k < BURST; k++) {
      const n = sent + k;
      const i = (n * 37) % ORCHS;
      const j = n % WORKERS;
      const status = n % 2 ? "validating" : "implementing";
      monitor.push(
        workerUpdate(
          next++,
          workerView(id(i), ticket(i, j), { status, phase: 3, pid: 1000 + j, alive: true }),
        ),
      );
    }
    await waitForLastId(page, next - 1, 120_000);
  }
  const deltasWallMs = Date.now() - t0;
  const after = await stats();
  const renders = after.renders - first.renders;
  await page.close();
  return {
    rows,
    firstLoadMs,
    firstRenderMs: Number(first.maxMs.toFixed(1)),
    deltasWallMs,
    rendersForDeltas: renders,
    meanRenderMs: Number(((after.totalMs - first.totalMs) / Math.max(1, renders)).toFixed(1)),
    nextId: next,
  };
}

// The timeline view (view-timeline.ts): one orchestrator with 2,000 workers, each with six
// statuses in phaseTimestamps, shown as a timeline. Long tasks (> 50 ms, the browser's own jank
// measure) are counted while deltas arrive and while the now edge moves by itself.
const TL_WORKERS = Number(process.env.TL_WORKERS ?? 2000);
const TL_ID = "orch-timeline";

function timelineFleet(): Snapshot {
  const now = Date.now();
  const statuses = ["dispatched", "researching", "planning", "implementing", "validating", "shipping"];
  const workers = Array.from({ length: TL_WORKERS }, (_, j) => {
    const steps = 1 + (j % statuses.length);
    const phaseTimestamps: Record<string, string> = {};
    for (let k = 0; k < steps; k++)
      phaseTimestamps[statuses[k]!] = new Date(now - (200 - k * 25 - (j % 17)) * 60_000).toISOString();
    return workerView(TL_ID, `CTL-${j}`, {
      status: statuses[steps - 1]!,
      phase: steps - 1,
      wave: 1 + (j % 4),
      startedAt: new Date(now - (205 - (j % 17)) * 60_000).toISOString(),
      phaseTimestamps,
    });
  });
  return {
    generatedAt: new Date().toISOString(),
    orchestrators: [orchestratorView(TL_ID, workers)],
    needsYou: [],
    sourceErrors: [],
  };
}

async function runTimeline(browser: Browser, monitor: ScriptedMonitor, firstId: number) {
  const started = Date.now();
  const { page } = await openPage(browser, `${monitor.url}#timeline=${TL_ID}`);
  await page.evaluate(() => {
    const w = globalThis as unknown as { __long: number[]; PerformanceObserver: typeof PerformanceObserver };
    w.__long = [];
    new w.PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__long.push(e.duration);
    }).observe({ entryTypes: ["longtask" as never] });
  });
  await page.waitForSelector(`.timeline[data-orch="${TL_ID}"] .tl-row`, { timeout: 120_000 });
  const firstLoadMs = Date.now() - started;
  const stats = async () =>
    JSON.parse((await page.getAttribute("body", "data-render-stats")) ?? "{}") as RenderStats;
  const first = await stats();
  const rows = await page.locator(".tl-row").count();
  const longTasks = async () => {
    const got = await page.evaluate(() => (globalThis as unknown as { __long: number[] }).__long.splice(0));
    return { count: got.length, maxMs: Number(Math.max(0, ...got).toFixed(1)) };
  };
  await longTasks();
  let next = firstId;
  const t0 = Date.now();
  let maxRenderMs = 0;
  for (let sent = 0; sent < DELTAS; sent += BURST) {
    for (let k = 0; k < BURST; k++) {
      const j = ((sent + k) * 37) % TL_WORKERS;
      monitor.push(
        workerUpdate(
          next++,
          workerView(TL_ID, `CTL-${j}`, {
            status: "validating",
            phase: 4,
            wave: 1 + (j % 4),
            startedAt: new Date(Date.now() - 180 * 60_000).toISOString(),
            phaseTimestamps: {
              implementing: new Date(Date.now() - 60 * 60_000).toISOString(),
              validating: new Date().toISOString(),
            },
          }),
        ),
      );
    }
    await waitForLastId(page, next - 1, 120_000);
    maxRenderMs = Math.max(maxRenderMs, (await stats()).maxMs);
  }
  const deltasWallMs = Date.now() - t0;
  const duringDeltas = await longTasks();
  const after = await stats();
  // The now edge moves once a second by itself; watch 5 s of it with no data arriving.
  await page.waitForTimeout(5_000);
  const whileIdle = await longTasks();
  const renders = after.renders - first.renders;
  await page.close();
  return {
    rows,
    firstLoadMs,
    firstRenderMs: Number(first.maxMs.toFixed(1)),
    deltasWallMs,
    rendersForDeltas: renders,
    meanRenderMs: Number(((after.totalMs - first.totalMs) / Math.max(1, renders)).toFixed(1)),
    longTasksDuringDeltas: duringDeltas,
    longTasksIdle5s: whileIdle,
    nextId: next,
  };
}

async function main() {
  const publicDir = await buildDashboardBundle();
  // The scripted server keeps every delta; a fresh snapshot per variant keeps the runs independent.
  const monitor = await startScriptedMonitor({ publicDir, snapshot: bigFleet(), snapshotId: 1 });
  const browser = await launchChromium();
  try {
    if (process.argv.includes("--timeline-only")) {
      monitor.setSnapshot(timelineFleet(), 1);
      console.log(JSON.stringify({ timeline: await runTimeline(browser, monitor, 2) }, null, 2));
      return;
    }
    const shipped = await runVariant(browser, monitor.url, monitor, 2, null);
    monitor.setSnapshot(bigFleet(), shipped.nextId - 1);
    const baseline = await runVariant(
      browser,
      monitor.url,
      monitor,
      shipped.nextId,
      ".orch { content-visibility: visible !important; }",
    );
    monitor.setSnapshot(timelineFleet(), baseline.nextId - 1);
    const timeline = await runTimeline(browser, monitor, baseline.nextId);
    const result = {
      date: new Date().toISOString().slice(0, 10),
      machine: `${machine()}, load ${load()}, chromium ${browser.version()}`,
      fleet: `${ORCHS} orchestrators x ${WORKERS} workers`,
      deltas: `${DELTAS} worker-update in bursts of ${BURST}`,
      dashboard: shipped,
      baselineWithoutContentVisibility: baseline,
      timeline: { fleet: `1 orchestrator x ${TL_WORKERS} workers, timeline view`, ...timeline },
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await browser.close();
    await monitor.stop();
  }
}

await main();
