/** @jsxRuntime automatic */
/** @jsxImportSource react */
// catalyst-top with 2,000 workers: the cost of one redraw after a delta (React + Ink layout and
// output, ink-testing-library's in-memory terminal, 100 columns), what a burst of deltas costs
// through the ~10/s render throttle, and CPU at idle. Writes its own BENCHMARKS.md section.
//
//   pnpm --filter catalyst-top run bench [--workers 2000] [--deltas 300] [--burst 20000] [--idle-s 10]

import { createFleetStore } from "@catalyst/client";
import type { Delta, Snapshot } from "@catalyst/schema/constants";
import { load, machine, writeSection } from "@catalyst/test-utils/bench";
import { render } from "ink-testing-library";
import { createElement } from "react";
import { TopApp } from "../src/app.js";
import { bigFleet, worker } from "../src/fixtures.test-helper.js";
import { createLiveView } from "../src/live-view.js";

const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0
    ? Number.NaN
    : (s[Math.floor((s.length - 1) / 2)]! + s[Math.ceil((s.length - 1) / 2)]!) / 2;
};
const fmtMs = (ms: number) => (Number.isNaN(ms) ? "–" : ms < 10 ? ms.toFixed(1) : ms.toFixed(0));

const argv = process.argv.slice(2);
const opt = (name: string, fallback: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? Number(argv[i + 1]) : fallback;
};
const WORKERS = opt("workers", 2000);
const DELTAS = opt("deltas", 300);
const BURST = opt("burst", 20_000);
const IDLE_S = opt("idle-s", 10);

const source = {
  label: "bench",
  state: () => ({ state: "live", resumed: false }) as const,
  onState: () => () => {},
  recentEvents: async () => [],
};

let nextId = 2;
function deltaFor(snapshot: Snapshot, i: number): Delta {
  const orch = snapshot.orchestrators[i % snapshot.orchestrators.length]!;
  const tickets = Object.keys(orch.workers);
  const ticket = tickets[(i * 7919) % tickets.length]!;
  const status = ["researching", "planning", "implementing", "validating"][i % 4]!;
  return {
    id: nextId++,
    event: "worker-update",
    data: {
      orchestrator: orch.id,
      worker: ticket,
      status,
      phase: (i % 4) + 1,
      ts: new Date().toISOString(),
      workerState: worker(orch.id, ticket, {
        status,
        phase: (i % 4) + 1,
        updatedAt: new Date().toISOString(),
      }),
    },
  } as Delta;
}

function mount(intervalMs?: number) {
  const snapshot = bigFleet(WORKERS);
  const store = createFleetStore();
  store.apply({ id: 1, event: "snapshot", data: snapshot } as Delta);
  const view = createLiveView(store, intervalMs === undefined ? {} : { intervalMs });
  const app = render(createElement(TopApp, { view, source, color: true }));
  return { snapshot, store, view, app };
}

const tick = () => new Promise((r) => setImmediate(r));
const loadBefore = load();

// 1. One redraw per delta (throttle off): wall time per delta, from apply to the frame written.
const perDelta: number[] = [];
{
  const { snapshot, store, view, app } = mount(0);
  for (let i = 0; i < 30; i++) store.apply(deltaFor(snapshot, i)); // warm-up
  await tick();
  for (let i = 0; i < DELTAS; i++) {
    const before = app.frames.length;
    const t0 = performance.now();
    store.apply(deltaFor(snapshot, i));
    while (app.frames.length === before) await tick();
    perDelta.push(performance.now() - t0);
  }
  app.unmount();
  view.stop();
}
const sorted = [...perDelta].sort((a, b) => a - b);
const p95 = sorted[Math.floor(sorted.length * 0.95)] ?? Number.NaN;

// 2. A burst through the default throttle: deltas applied as fast as the store takes them.
let burst = { seconds: 0, redraws: 0, frames: 0, cpuMs: 0 };
{
  const { snapshot, store, view, app } = mount();
  await tick();
  const framesBefore = app.frames.length;
  const redrawsBefore = view.stats().redraws;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < BURST; i++) {
    store.apply(deltaFor(snapshot, i));
    if (i % 200 === 199) await tick();
  }
  await new Promise((r) => setTimeout(r, 250));
  const cpu = process.cpuUsage(cpu0);
  burst = {
    seconds: (performance.now() - t0) / 1000,
    redraws: view.stats().redraws - redrawsBefore,
    frames: app.frames.length - framesBefore,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
  app.unmount();
  view.stop();
}

// 3. Idle: mounted, nothing changes (the age column still redraws once a second).
let idlePct = 0;
{
  const { view, app } = mount();
  await new Promise((r) => setTimeout(r, 1000));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, IDLE_S * 1000));
  const cpu = process.cpuUsage(cpu0);
  idlePct = ((cpu.user + cpu.system) / 1000 / (performance.now() - t0)) * 100;
  app.unmount();
  view.stop();
}

const rate = BURST / burst.seconds;
const lines = [
  `Run ${new Date().toISOString()} with \`pnpm --filter catalyst-top run bench\` (\`apps/top/bench/top-bench.ts\`; flags \`--workers\`, \`--deltas\`, \`--burst\`, \`--idle-s\`).`,
  `Machine: ${machine()}; load average ${loadBefore} at the start. ${WORKERS.toLocaleString("en")} workers in ${10} orchestrators, every seventh failed (needs you); Ink renders into ink-testing-library's in-memory terminal (100 columns, 24 rows), so the figures are React + Ink layout and output without a real terminal's write.`,
  "",
  "| figure | value |",
  "| --- | --- |",
  `| one redraw after a delta (throttle off), median | ${fmtMs(median(perDelta))} ms |`,
  `| one redraw after a delta (throttle off), p95 | ${fmtMs(p95)} ms |`,
  `| burst: ${BURST.toLocaleString("en")} deltas through the ~10/s throttle | ${burst.seconds.toFixed(2)} s (${Math.round(rate).toLocaleString("en")} deltas/s), ${burst.redraws} redraws (${(burst.redraws / burst.seconds).toFixed(1)}/s), CPU ${fmtMs(burst.cpuMs)} ms |`,
  `| CPU at idle (${IDLE_S} s, one age redraw a second) | ${idlePct.toFixed(1)} % of one core |`,
  "",
  "The throttle caps redraws near 10 a second whatever the delta rate, so a burst costs the store's `applyDelta` per delta plus at most ~10 redraws a second; the rows are windowed (only the visible ones are laid out), so a redraw's cost follows the screen, not the fleet, apart from the sort of the filtered rows.",
];
console.log(lines.join("\n"));
if (!argv.includes("--no-write"))
  await writeSection("Terminal view: catalyst-top render cost and idle CPU", lines.join("\n"));
process.exit(0);
