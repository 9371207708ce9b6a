// P5: monitor RSS over a long run with a growing event log. The real monitor bin (from source)
// watches a 20 × 20 fleet while the log grows by `mb` over `seconds` (≈1 KB v1 lines, appended
// every 50 ms) and 20 signal files a second change; one SSE client drains the stream. RSS is
// sampled from /proc every second. Baseline: the minimal node:http tailer of the monitor benches
// (apps/monitor/bench/baseline-server.ts tail) under the same writes, in the same run.
import { existsSync } from "node:fs";
import { appendFile, mkdir, mkdtemp, rename, rm, stat, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Child,
  MONITOR_FROM_SOURCE,
  median,
  memoryOf,
  mib,
  ROOT,
  sleep,
  startListening,
  TSX,
} from "./support.ts";

export interface P5Shape {
  seconds: number;
  mb: number;
}

export interface RssTrace {
  name: string;
  /** MiB, one per second, from the first write on. */
  samples: number[];
  /** MiB before the first write (after the initial scan). */
  atStart: number;
  /** VmHWM at the end, MiB. */
  peak: number;
  /** Median of the second fifth and of the last fifth of the samples, MiB. */
  early: number;
  late: number;
  /** Least-squares slope over the second half, MiB per minute. */
  slopePerMin: number;
  logBytes: number;
  streamBytes: number;
}

const ORCHS = 20;
const WORKERS = 20;
const orchId = (o: number) => `orch-p5-${String(o).padStart(2, "0")}`;
const ticket = (w: number) => `CTL-${String(w).padStart(3, "0")}`;
const STATUSES = ["researching", "planning", "implementing", "verifying", "validating"];

function signal(o: number, w: number, status: string): string {
  const now = new Date().toISOString();
  return `${JSON.stringify({ ticket: ticket(w), orchestrator: orchId(o), status, phase: 3, startedAt: "2026-04-14T18:37:51Z", updatedAt: now, pr: null, pid: null, lastHeartbeat: now }, null, 2)}\n`;
}

function slope(values: number[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const mx = (n - 1) / 2;
  const my = values.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  values.forEach((y, x) => {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  });
  return (num / den) * 60; // samples are 1 s apart
}

/** One run against one server: grows the log, churns signals, samples RSS. */
async function trace(name: string, start: (dir: string, logFile: string) => Promise<Child>, shape: P5Shape) {
  const dir = await mkdtemp(join(tmpdir(), "bench-p5-"));
  let server: Child | null = null;
  try {
    for (let o = 0; o < ORCHS; o++) {
      await mkdir(join(dir, "runs", orchId(o), "workers"), { recursive: true });
      for (let w = 0; w < WORKERS; w++)
        await writeFile(
          join(dir, "runs", orchId(o), "workers", `${ticket(w)}.json`),
          signal(o, w, "implementing"),
        );
    }
    await mkdir(join(dir, "events"), { recursive: true });
    const logFile = join(dir, "events", `${new Date().toISOString().slice(0, 7)}.jsonl`);
    await writeFile(logFile, "");
    server = await start(dir, logFile);
    const pid = server.child.pid!;
    const { port } = new URL(server.url);
    let streamBytes = 0;
    const socket = connect(Number(port), "127.0.0.1", () =>
      socket.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`),
    );
    socket.on("data", (d: Buffer) => {
      streamBytes += d.length;
    });
    socket.on("error", () => {});
    await sleep(1000);
    const atStart = mib(memoryOf(pid)?.rss ?? 0);

    const samples: number[] = [];
    const sampler = setInterval(() => {
      const m = memoryOf(pid);
      if (m) samples.push(mib(m.rss));
    }, 1000);
    const pad = "x".repeat(800);
    const tickMs = 50;
    const ticks = (shape.seconds * 1000) / tickMs;
    const bytesPerTick = (shape.mb * 2 ** 20) / ticks;
    const t0 = performance.now();
    let seq = 0;
    let n = 0;
    for (let t = 0; t < ticks; t++) {
      let chunk = "";
      const ts = new Date().toISOString().replace(/\.\d+Z$/, "Z");
      while (chunk.length < bytesPerTick) {
        chunk += `${JSON.stringify({ ts, orchestrator: orchId(seq % ORCHS), worker: ticket(seq % WORKERS), event: "worker-status-change", detail: { from: "planning", to: "implementing", seq, pad } })}\n`;
        seq++;
      }
      await appendFile(logFile, chunk);
      // 20 signal changes a second: one every 50 ms tick.
      const o = n % ORCHS;
      const w = Math.floor(n / ORCHS) % WORKERS;
      const path = join(dir, "runs", orchId(o), "workers", `${ticket(w)}.json`);
      await writeFile(
        `${path}.tmp`,
        signal(o, w, STATUSES[Math.floor(n / (ORCHS * WORKERS)) % STATUSES.length]!),
      );
      await rename(`${path}.tmp`, path);
      n++;
      const due = t0 + (t + 1) * tickMs - performance.now();
      if (due > 0) await sleep(due);
    }
    await sleep(1000);
    clearInterval(sampler);
    const peak = mib(memoryOf(pid)?.peak ?? 0);
    socket.destroy();
    const fifth = Math.max(1, Math.floor(samples.length / 5));
    return {
      name,
      samples,
      atStart,
      peak,
      early: median(samples.slice(fifth, 2 * fifth)),
      late: median(samples.slice(-fifth)),
      slopePerMin: slope(samples.slice(Math.floor(samples.length / 2))),
      logBytes: (await stat(logFile)).size,
      streamBytes,
    } satisfies RssTrace;
  } finally {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The monitor's command: the built bin when present (what users run), else the source under tsx. */
export function monitorCommand(): { label: string; args: string[] } {
  const dist = join(ROOT, "apps/monitor/dist/bin.js");
  return existsSync(dist)
    ? { label: "built `dist/bin.js`", args: [dist] }
    : {
        label: "from source under tsx",
        args: MONITOR_FROM_SOURCE,
      };
}

/** Runs P5 once for the monitor and once for the baseline. */
export async function runP5(shape: P5Shape): Promise<{ monitor: RssTrace; baseline: RssTrace }> {
  const cmd = monitorCommand();
  const monitor = await trace(
    `catalyst-monitor (${cmd.label})`,
    (dir) => startListening([...cmd.args, "--dir", dir, "--port", "0"]),
    shape,
  );
  const baseline = await trace(
    "raw baseline (fs.watch tail → node:http SSE)",
    (_dir, logFile) =>
      startListening(
        ["--import", TSX, join(ROOT, "apps/monitor/bench/baseline-server.ts"), "tail", logFile],
        { cwd: join(ROOT, "apps/monitor") },
      ),
    shape,
  );
  return { monitor, baseline };
}
