// Micro-benchmark for @catalyst/fuse: cost of one signal change on a 2,000-worker fleet,
// deltas per second, tick cost, and the memory a full delta ring holds.
// Run: pnpm --filter @catalyst/fuse bench   (prints a Markdown table for BENCHMARKS.md)
import { cpus, totalmem } from "node:os";
import { type FuseInput, parseSignalText } from "@catalyst/schema";
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

function benchReduce(orchestrators: number): { medianUs: number; p99Us: number; deltasPerSec: number } {
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

function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  return process.memoryUsage().heapUsed;
}

function benchRingMemory(ringSize: number): { bytesPerDelta: number; totalMiB: number } {
  const { inputs, keys } = fleet(20);
  const run = (size: number) => {
    const fuse = createFuse({ ringSize: size });
    fuse.apply(inputs, now(0));
    for (let i = 0; i < ringSize + 100; i++) {
      const [orch, ticket] = keys[i % keys.length] as [string, string];
      fuse.apply(signalInput(orch, ticket, i + 1), now(i));
    }
    return fuse;
  };
  let keep = run(1);
  const small = heapAfterGc();
  keep = run(ringSize);
  const full = heapAfterGc();
  void keep;
  const bytes = full - small;
  return { bytesPerDelta: bytes / ringSize, totalMiB: bytes / 1024 / 1024 };
}

const one = benchReduce(1);
const twenty = benchReduce(20);
const tick20 = benchTick(20);
const ring = benchRingMemory(1000);
const hasGc = typeof (globalThis as { gc?: unknown }).gc === "function";

const lines = [
  `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? "unknown"}), ${(totalmem() / 1024 ** 3).toFixed(1)} GiB RAM, Node ${process.version}. Date: ${new Date().toISOString().slice(0, 10)}.`,
  "",
  "| Case (2,000 workers) | Median | p99 | Deltas/s |",
  "|---|---|---|---|",
  `| One signal change, 20 orchestrators × 100 workers | ${twenty.medianUs.toFixed(0)} µs | ${twenty.p99Us.toFixed(0)} µs | ${Math.round(twenty.deltasPerSec).toLocaleString("en-US")} |`,
  `| One signal change, 1 orchestrator × 2,000 workers | ${one.medianUs.toFixed(0)} µs | ${one.p99Us.toFixed(0)} µs | ${Math.round(one.deltasPerSec).toLocaleString("en-US")} |`,
  `| \`tick\` (re-evaluate stalled everywhere), 20 × 100 | ${(tick20 * 1000).toFixed(0)} µs | | |`,
  "",
  `Ring memory (ringSize 1000, full of worker-update + orchestrator-update deltas): ${ring.totalMiB.toFixed(2)} MiB, about ${Math.round(ring.bytesPerDelta).toLocaleString("en-US")} bytes per delta${hasGc ? "" : " (run without --expose-gc: noisy)"}.`,
];
process.stdout.write(`${lines.join("\n")}\n`);
