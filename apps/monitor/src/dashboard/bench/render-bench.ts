// Render cost of the dashboard in headless Chromium for a 100 × 20 fleet (the P1 fleet size):
// first paint of 2,000 rows, then 500 worker-update deltas in bursts of 50. Reads the page's own
// render timings (body[data-render-stats]), against a baseline run with the off-screen skipping
// (content-visibility) turned off. Run: pnpm exec tsx apps/monitor/src/dashboard/bench/render-bench.ts
import { cpus, loadavg, totalmem } from "node:os";
import type { Snapshot } from "@catalyst/schema";
import type { Browser } from "playwright-core";
import { buildDashboardBundle, launchChromium, openPage, waitForLastId } from "../browser.test-helper.js";
import { orchestratorView, workerUpdate, workerView } from "../fleet-fixture.test-helper.js";
import { type ScriptedMonitor, startScriptedMonitor } from "../scripted-monitor.test-helper.js";

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

async function main() {
  const publicDir = await buildDashboardBundle();
  // The scripted server keeps every delta; a fresh snapshot per variant keeps the runs independent.
  const monitor = await startScriptedMonitor({ publicDir, snapshot: bigFleet(), snapshotId: 1 });
  const browser = await launchChromium();
  try {
    const shipped = await runVariant(browser, monitor.url, monitor, 2, null);
    monitor.setSnapshot(bigFleet(), shipped.nextId - 1);
    const baseline = await runVariant(
      browser,
      monitor.url,
      monitor,
      shipped.nextId,
      ".orch { content-visibility: visible !important; }",
    );
    const result = {
      date: new Date().toISOString().slice(0, 10),
      machine: `${cpus().length} cpu, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, load ${loadavg()[0]!.toFixed(1)}, node ${process.version}, chromium ${browser.version()}`,
      fleet: `${ORCHS} orchestrators x ${WORKERS} workers`,
      deltas: `${DELTAS} worker-update in bursts of ${BURST}`,
      dashboard: shipped,
      baselineWithoutContentVisibility: baseline,
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await browser.close();
    await monitor.stop();
  }
}

await main();
