// P1: signal file tmp+rename → `worker-update` on an SSE client, 100 orchestrators × 20 workers,
//     bursts of 200 writes each second; baseline: recursive fs.watch → node:http SSE.
// P2: event-log append → `log-event` on an SSE client, one line every 10 ms; baseline: fs.watch
//     on the log file → read the new bytes → node:http SSE.
import { appendFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type ChildServer,
  type Frame,
  openSse,
  type Summary,
  sleep,
  startChild,
  summarize,
  writeAtomic,
} from "./bench-support.js";

const ORCHS = 100;
const WORKERS = 20;
const BURSTS = 8;
const BURST_SIZE = 200;
const LOG_LINES = 400;
const LOG_EVERY_MS = 10;

const orchId = (o: number) => `orch-bench-${String(o).padStart(3, "0")}`;
const ticket = (w: number) => `CTL-${String(w).padStart(4, "0")}`;

function signalText(o: number, w: number, status: string, phase: number): string {
  const now = new Date().toISOString();
  return `${JSON.stringify(
    {
      ticket: ticket(w),
      orchestrator: orchId(o),
      workerName: `${orchId(o)}-${ticket(w)}`,
      status,
      phase,
      startedAt: "2026-04-14T18:37:51Z",
      updatedAt: now,
      pr: null,
      pid: null,
      lastHeartbeat: now,
      definitionOfDone: { unitTests: { exists: true, count: w } },
    },
    null,
    2,
  )}\n`;
}

async function writeFleet(dir: string): Promise<void> {
  for (let o = 0; o < ORCHS; o++) {
    const workers = join(dir, "runs", orchId(o), "workers");
    await mkdir(workers, { recursive: true });
    for (let w = 0; w < WORKERS; w++)
      await writeFile(join(workers, `${ticket(w)}.json`), signalText(o, w, "implementing", 3));
  }
}

type KeyOf = (frame: Frame) => string | null;

async function measure(
  server: ChildServer,
  keyOf: KeyOf,
  drive: (mark: (key: string) => void) => Promise<void>,
): Promise<Summary> {
  const pending = new Map<string, number>();
  const samples: number[] = [];
  const client = openSse(`${server.url}events`, (frame) => {
    const key = keyOf(frame);
    if (key === null) return;
    const t0 = pending.get(key);
    if (t0 !== undefined) {
      samples.push(frame.at - t0);
      pending.delete(key);
    }
  });
  await client.ready;
  await sleep(1000); // let watchers settle (the baseline's recursive watch walks the tree)
  await drive((key) => pending.set(key, performance.now()));
  const deadline = Date.now() + 5000;
  while (pending.size > 0 && Date.now() < deadline) await sleep(20);
  client.close();
  return summarize(samples, pending.size);
}

/** Runs P1 once against a started server; `round` picks the status written so every write changes it. */
async function driveSignals(dir: string, round: number, mark: (key: string) => void): Promise<void> {
  const status = ["validating", "pr-created", "researching", "planning", "verifying", "implementing"][
    round % 6
  ]!;
  let n = 0;
  for (let b = 0; b < BURSTS; b++) {
    const started = performance.now();
    for (let i = 0; i < BURST_SIZE; i++, n++) {
      const o = n % ORCHS;
      const w = Math.floor(n / ORCHS) % WORKERS;
      const path = join(dir, "runs", orchId(o), "workers", `${ticket(w)}.json`);
      await writeFile(`${path}.tmp`, signalText(o, w, status, 4));
      mark(`${orchId(o)}/${ticket(w)}`);
      await import("node:fs/promises").then((fs) => fs.rename(`${path}.tmp`, path));
    }
    const left = 1000 - (performance.now() - started);
    if (left > 0) await sleep(left);
  }
}

const monitorWorkerKey: KeyOf = (frame) => {
  if (frame.event !== "worker-update") return null;
  const data = JSON.parse(frame.data) as { orchestrator: string; worker: string };
  return `${data.orchestrator}/${data.worker}`;
};

const baselineWorkerKey: KeyOf = (frame) => {
  if (frame.event !== "change") return null;
  const parts = (JSON.parse(frame.data) as { file: string }).file.split("/");
  return `${parts[1]}/${parts[3]?.replace(/\.json$/, "")}`;
};

export interface LatencyResult {
  monitor: Summary[];
  baseline: Summary[];
}

/** P1: several alternating rounds of monitor and baseline on the same fleet. */
export async function runP1(rounds = 3): Promise<LatencyResult> {
  const dir = await mkdtemp(join(tmpdir(), "monitor-bench-p1-"));
  const result: LatencyResult = { monitor: [], baseline: [] };
  try {
    await writeFleet(dir);
    let round = 0;
    for (let r = 0; r < rounds; r++) {
      const monitor = await startChild("src/bin.ts", ["--dir", dir, "--port", "0"]);
      result.monitor.push(
        await measure(monitor, monitorWorkerKey, (mark) => driveSignals(dir, round++, mark)),
      );
      await monitor.stop();
      const baseline = await startChild("bench/baseline-server.ts", ["watch", dir]);
      result.baseline.push(
        await measure(baseline, baselineWorkerKey, (mark) => driveSignals(dir, round++, mark)),
      );
      await baseline.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return result;
}

function logLine(seq: number): string {
  return `${JSON.stringify({
    ts: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    orchestrator: orchId(seq % ORCHS),
    worker: ticket(seq % WORKERS),
    event: "worker-status-change",
    detail: { from: "planning", to: "implementing", seq },
  })}\n`;
}

async function driveLog(file: string, from: number, mark: (key: string) => void): Promise<void> {
  const started = performance.now();
  for (let i = 0; i < LOG_LINES; i++) {
    const seq = from + i;
    mark(String(seq));
    await appendFile(file, logLine(seq));
    const next = started + (i + 1) * LOG_EVERY_MS - performance.now();
    if (next > 0) await sleep(next);
  }
}

const monitorLogKey: KeyOf = (frame) => {
  if (frame.event !== "log-event") return null;
  const seq = (JSON.parse(frame.data) as { line: { detail?: { seq?: number } } }).line.detail?.seq;
  return seq === undefined ? null : String(seq);
};

const baselineLogKey: KeyOf = (frame) => {
  if (frame.event !== "line") return null;
  const seq = (JSON.parse(frame.data) as { detail?: { seq?: number } }).detail?.seq;
  return seq === undefined ? null : String(seq);
};

/** P2: appends to the current month's log file while a client listens. */
export async function runP2(rounds = 3): Promise<LatencyResult> {
  const dir = await mkdtemp(join(tmpdir(), "monitor-bench-p2-"));
  const result: LatencyResult = { monitor: [], baseline: [] };
  try {
    await writeFleet(dir);
    await mkdir(join(dir, "events"), { recursive: true });
    const file = join(dir, "events", `${new Date().toISOString().slice(0, 7)}.jsonl`);
    await writeFile(file, logLine(0));
    let seq = 1;
    for (let r = 0; r < rounds; r++) {
      const monitor = await startChild("src/bin.ts", ["--dir", dir, "--port", "0"]);
      result.monitor.push(await measure(monitor, monitorLogKey, (mark) => driveLog(file, seq, mark)));
      seq += LOG_LINES;
      await monitor.stop();
      const baseline = await startChild("bench/baseline-server.ts", ["tail", file]);
      result.baseline.push(await measure(baseline, baselineLogKey, (mark) => driveLog(file, seq, mark)));
      seq += LOG_LINES;
      await baseline.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return result;
}

export const P1_SHAPE = { orchestrators: ORCHS, workers: WORKERS, bursts: BURSTS, burstSize: BURST_SIZE };
export const P2_SHAPE = { lines: LOG_LINES, everyMs: LOG_EVERY_MS };
export { writeAtomic };
