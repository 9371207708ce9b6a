// Micro-benchmark for @catalyst/fuse: cost of one signal change on a 2,000-worker fleet,
// deltas per second, tick cost, and the memory a full delta ring holds.
// Run: pnpm --filter @catalyst/fuse bench   (prints a Markdown table for BENCHMARKS.md)
import { type FuseInput, parseGlobalStateText, parseSignalText } from "@catalyst/schema";
import { machine } from "@catalyst/test-utils/bench";
import { createFuse, createInitialState, type FuseState, reduce } from "../src/index.js";

const WORKERS = 2000;
const T0 = Date.parse("2026-04-14T19:00:00Z");
const STATUSES = ["researching", "planning", "implementing", "validating", "shipping"];

function signalInput(orchestrator: string, ticket: string, step: number): FuseInput {
  const file = `/bench/wt/ctl/${orchestrator}/workers/${ticket}.json`;
  const text = JSON.stringify({
    ticket,
    orchestrator,
    workerName: `${orchestrator}-${ticket}`,
    status: STATUSES[step % STATUSES.length],
    phase: (step % 5) + 1,
    startedAt: "2026-04-14T18:37:53Z",
    updatedAt: new Date(T0 + step * 1000).toISOString(),
    pid: 10_000 + step,
    pr: null,
    phaseTimestamps: { researching: "2026-04-14T18:41:05Z" },
    cost: { costUSD: 1.12, inputTokens: 15420, outputTokens: 8730, cacheReadTokens: 42000 },
  });
  return { kind: "signal", orchestrator, key: ticket, file, result: parseSignalText(text, file) };
}

function fleet(orchestrators: number): { inputs: FuseInput[]; keys: Array<[string, string]> } {
  const inputs: FuseInput[] = [];
  const keys: Array<[string, string]> = [];
  const per = WORKERS / orchestrators;
  for (let o = 0; o < orchestrators; o++) {
    const id = `orch-bench-${o}`;
    inputs.push({
      kind: "orchestrator-added",
      orchestrator: { id, workspace: "ctl", path: `/bench/${id}`, source: "runs" },
    });
    for (let w = 0; w < per; w++) {
      const ticket = `CTL-${o * per + w}`;
      inputs.push(signalInput(id, ticket, 0));
      keys.push([id, ticket]);
    }
  }
  return { inputs, keys };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function now(ms: number): Date {
  return new Date(T0 + ms);
}

function benchReduce(orchestrators: number): {
  medianUs: number;
  meanUs: number;
  p99Us: number;
  deltasPerSec: number;
  deltasPerChange: number;
} {
  const { inputs, keys } = fleet(orchestrators);
  let state: FuseState = createInitialState();
  for (const input of inputs) state = reduce(state, input, now(0)).state;
  // Pre-parse the changes so only fuse is timed.
  const changes = Array.from({ length: 5000 }, (_, i) => {
    const [orch, ticket] = keys[(i * 7919) % keys.length] as [string, string];
    return signalInput(orch, ticket, i + 1);
  });
  for (let i = 0; i < 500; i++) state = reduce(state, changes[i] as FuseInput, now(i)).state; // warm-up
  const samples: number[] = [];
  let deltas = 0;
  const start = performance.now();
  for (let i = 500; i < changes.length; i++) {
    const t = performance.now();
    const result = reduce(state, changes[i] as FuseInput, now(i));
    samples.push(performance.now() - t);
    state = result.state;
    deltas += result.deltas.length;
  }
  const elapsed = performance.now() - start;
  samples.sort((a, b) => a - b);
  return {
    medianUs: median(samples) * 1000,
    meanUs: (elapsed / samples.length) * 1000,
    deltasPerChange: deltas / samples.length,
    p99Us: (samples[Math.floor(samples.length * 0.99)] ?? Number.NaN) * 1000,
    deltasPerSec: deltas / (elapsed / 1000),
  };
}

function benchTick(orchestrators: number): number {
  const { inputs } = fleet(orchestrators);
  let state: FuseState = createInitialState();
  for (const input of inputs) state = reduce(state, input, now(0)).state;
  const samples: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t = performance.now();
    state = reduce(state, { kind: "tick" }, now(i * 1000)).state;
    samples.push(performance.now() - t);
  }
  return median(samples);
}

// catalyst-state.sh rewrites the whole global state.json on every worker write: one worker entry
// differs from the last read. Parsing is the sources' job, so the inputs are pre-parsed.
function benchGlobal(): number {
  const orchestrators = 20;
  const per = WORKERS / orchestrators;
  const { inputs } = fleet(orchestrators);
  let state: FuseState = createInitialState();
  for (const input of inputs) state = reduce(state, input, now(0)).state;
  const globalInput = (step: number): FuseInput => {
    const entries: Record<string, unknown> = {};
    for (let o = 0; o < orchestrators; o++) {
      const workers: Record<string, unknown> = {};
      for (let w = 0; w < per; w++) {
        const touched = o === step % orchestrators && w === step % per;
        workers[`CTL-${o * per + w}`] = {
          ticketId: `CTL-${o * per + w}`,
          title: "Rate-limit token endpoint",
          status: touched ? "validating" : "implementing",
          phase: 3,
          updatedAt: new Date(T0 + (touched ? step : 0) * 1000).toISOString(),
          needsAttention: false,
          attentionReason: null,
        };
      }
      const id = `orch-bench-${o}`;
      entries[id] = { id, status: "active", updatedAt: "2026-04-14T19:00:00Z", workers, attention: [] };
    }
    const text = JSON.stringify({ version: "1.0.0", orchestrators: entries });
    return {
      kind: "global-state",
      file: "/bench/state.json",
      result: parseGlobalStateText(text, "/bench/state.json"),
    };
  };
  const changes = Array.from({ length: 41 }, (_, i) => globalInput(i));
  state = reduce(state, changes[0] as FuseInput, now(0)).state;
  const samples: number[] = [];
  for (let i = 1; i < changes.length; i++) {
    const t = performance.now();
    state = reduce(state, changes[i] as FuseInput, now(i)).state;
    samples.push(performance.now() - t);
  }
  return median(samples);
}

function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  return process.memoryUsage().heapUsed;
}

// What a full ring costs beyond the state. Deltas share their worker views with the state, so
// the cost depends on whether the ring holds views the state has since replaced:
// - "shared": 1,100 changes to distinct workers, so every view in the ring is still live;
// - "retained": 1,100 changes cycling over 10 workers, so the ring alone keeps ~1,000 old views.
function benchRingMemory(ringSize: number, cycle: number): number {
  const { inputs, keys } = fleet(20);
  const run = (size: number) => {
    const fuse = createFuse({ ringSize: size });
    fuse.apply(inputs, now(0));
    for (let i = 0; i < ringSize + 100; i++) {
      const [orch, ticket] = keys[i % cycle] as [string, string];
      fuse.apply(signalInput(orch, ticket, i + 1), now(i));
    }
    return fuse;
  };
  let keep = run(1);
  const small = heapAfterGc();
  keep = run(ringSize);
  const full = heapAfterGc();
  void keep;
  return (full - small) / ringSize;
}

// Each case runs three times; the table shows the run with the median per-change time.
function medianRun(orchestrators: number): ReturnType<typeof benchReduce> {
  const runs = [1, 2, 3].map(() => benchReduce(orchestrators)).sort((a, b) => a.medianUs - b.medianUs);
  return runs[1] as ReturnType<typeof benchReduce>;
}
const one = medianRun(1);
const twenty = medianRun(20);
const tick20 = median([1, 2, 3].map(() => benchTick(20)));
const global20 = median([1, 2, 3].map(() => benchGlobal()));
const sharedBytes = median([1, 2, 3].map(() => benchRingMemory(1000, WORKERS)));
const retainedBytes = median([1, 2, 3].map(() => benchRingMemory(1000, 10)));
const hasGc = typeof (globalThis as { gc?: unknown }).gc === "function";

const lines = [
  `Machine: ${machine()}. Date: ${new Date().toISOString().slice(0, 10)}.`,
  "",
  "| Case (2,000 workers) | Median | Mean (incl. GC) | p99 | Deltas/s | Deltas per change |",
  "|---|---|---|---|---|---|",
  ...[
    ["One signal change, 20 orchestrators × 100 workers", twenty],
    ["One signal change, 1 orchestrator × 2,000 workers", one],
  ].map(
    ([label, r]) =>
      `| ${label} | ${(r as typeof one).medianUs.toFixed(0)} µs | ${(r as typeof one).meanUs.toFixed(0)} µs | ${(r as typeof one).p99Us.toFixed(0)} µs | ${Math.round((r as typeof one).deltasPerSec).toLocaleString("en-US")} | ${(r as typeof one).deltasPerChange.toFixed(2)} |`,
  ),
  `| \`tick\` (re-evaluate stalled everywhere), 20 × 100 | ${(tick20 * 1000).toFixed(0)} µs | | | | |`,
  `| Whole global state.json re-read, one worker entry changed, 20 × 100 | ${(global20 * 1000).toFixed(0)} µs | | | | |`,
  "",
  `Ring memory, ringSize 1000 (heap after GC, full ring minus a ring of 1${hasGc ? "" : "; run without --expose-gc, noisy"}):`,
  `about ${Math.round(sharedBytes).toLocaleString("en-US")} bytes per delta when its worker views are still in the state (${((sharedBytes * 1000) / 1024 / 1024).toFixed(2)} MiB per 1,000),`,
  `about ${Math.round(retainedBytes).toLocaleString("en-US")} bytes per delta when the ring alone keeps replaced views (${((retainedBytes * 1000) / 1024 / 1024).toFixed(2)} MiB per 1,000).`,
];
process.stdout.write(`${lines.join("\n")}\n`);
