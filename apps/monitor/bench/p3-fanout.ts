// P3: 1,000 SSE clients, 50 events/s: delivery latency at sampled clients, server CPU and peak RSS,
// for the monitor (real fuse + hub + Hono) and a minimal node:http fan-out of same-size frames.
// The idle clients live in DRAIN_PROCESSES child processes on plain sockets (drain-clients.mjs),
// so the bench process only parses the sampled clients' frames and is not the bottleneck.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  type ChildServer,
  openSse,
  type SseClient,
  type Summary,
  sleep,
  startChild,
  summarize,
} from "./bench-support.js";

const CLIENTS = Number(process.env.P3_CLIENTS ?? 1000);
const SAMPLED = Math.min(20, CLIENTS);
const RATE = 50;
const SECONDS = 8;
const DRAIN_PROCESSES = 4;
const DRAIN_SCRIPT = fileURLToPath(new URL("./drain-clients.mjs", import.meta.url));

interface Drains {
  ready: Promise<void>;
  bytes(): Promise<number>;
  close(): void;
}

/** Opens `count` idle clients spread over child processes. */
function openDrains(url: string, count: number): Drains {
  const children = Array.from({ length: DRAIN_PROCESSES }, (_, i) => {
    const share = Math.floor(count / DRAIN_PROCESSES) + (i < count % DRAIN_PROCESSES ? 1 : 0);
    const child = spawn(process.execPath, [DRAIN_SCRIPT, url, String(share)], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    let out = "";
    const waiters: Array<() => void> = [];
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (d: string) => {
      out += d;
      for (const w of waiters.splice(0)) w();
    });
    const until = (pattern: RegExp): Promise<RegExpExecArray> =>
      new Promise((resolve) => {
        const check = (): void => {
          const m = pattern.exec(out);
          if (m) resolve(m);
          else waiters.push(check);
        };
        check();
      });
    return { child, share, until, reset: () => (out = "") };
  });
  return {
    ready: Promise.all(children.filter((c) => c.share > 0).map((c) => c.until(/ready\n/))).then(() => {}),
    async bytes() {
      let total = 0;
      for (const c of children) {
        c.reset();
        c.child.stdin.write("bytes\n");
        total += Number((await c.until(/bytes (\d+)\n/))[1]);
      }
      return total;
    },
    close() {
      for (const c of children) c.child.stdin.end();
    },
  };
}

/** One P3 run's figures. */
export interface FanoutRun {
  summary: Summary;
  cpuSeconds: number | null;
  peakRssMiB: number | null;
  frameBytes: number;
  deliveredMiB: number;
  /** Events per second actually delivered to the sampled clients (target: RATE). */
  achievedRate: number;
}

async function runOnce(
  server: ChildServer,
  event: string,
  sentAtOf: (data: string) => number,
): Promise<FanoutRun> {
  const samples: number[] = [];
  let frameBytes = 0;
  let frames = 0;
  const clients: SseClient[] = [];
  // performance.now() in this process vs Date.now() stamps from the server: convert once.
  const offset = Date.now() - performance.now();
  for (let i = 0; i < SAMPLED; i++) {
    clients.push(
      openSse(`${server.url}events`, (frame) => {
        if (frame.event !== event) return;
        frames += 1;
        frameBytes += frame.data.length;
        samples.push(frame.at + offset - sentAtOf(frame.data));
        lastAt = Math.max(lastAt, frame.at);
      }),
    );
  }
  const drains = openDrains(`${server.url}events`, CLIENTS - SAMPLED);
  await Promise.all([drains.ready, ...clients.map((c) => c.ready)]);
  await sleep(500);
  const cpuBefore = await server.cpuSeconds();
  const goAt = performance.now();
  let lastAt = goAt;
  server.send("go");
  const expected = RATE * SECONDS * SAMPLED;
  const deadline = Date.now() + SECONDS * 1000 + 30_000;
  while (samples.length < expected && Date.now() < deadline) await sleep(50);
  const cpuAfter = await server.cpuSeconds();
  const rss = await server.peakRssKiB();
  const delivered = clients.reduce((sum, c) => sum + c.bytes(), 0) + (await drains.bytes());
  for (const c of clients) c.close();
  drains.close();
  return {
    summary: summarize(samples, Math.max(0, expected - samples.length)),
    cpuSeconds: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore,
    peakRssMiB: rss === null ? null : rss / 1024,
    frameBytes: frames === 0 ? 0 : Math.round(frameBytes / frames),
    deliveredMiB: delivered / 2 ** 20,
    achievedRate: samples.length / SAMPLED / Math.max(0.001, (lastAt - goAt) / 1000),
  };
}

export interface FanoutResult {
  monitor: FanoutRun[];
  baseline: FanoutRun[];
}

/** Alternating rounds; the baseline's frames are padded to the monitor's measured frame size. */
export async function runP3(rounds = 3): Promise<FanoutResult> {
  const result: FanoutResult = { monitor: [], baseline: [] };
  for (let r = 0; r < rounds; r++) {
    const monitor = await startChild("bench/fanout-monitor.ts", [String(RATE), String(RATE * SECONDS)]);
    const m = await runOnce(monitor, "worker-update", (data) =>
      Date.parse((JSON.parse(data) as { workerState: { updatedAt: string } }).workerState.updatedAt),
    );
    result.monitor.push(m);
    await monitor.stop();
    const baseline = await startChild("bench/baseline-server.ts", [
      "fanout",
      String(RATE),
      String(m.frameBytes || 1500),
      String(RATE * SECONDS),
    ]);
    result.baseline.push(
      await runOnce(baseline, "tick", (data) => (JSON.parse(data) as { sentAt: number }).sentAt),
    );
    await baseline.stop();
  }
  return result;
}

export const P3_SHAPE = {
  clients: CLIENTS,
  sampled: SAMPLED,
  rate: RATE,
  seconds: SECONDS,
  drainProcesses: DRAIN_PROCESSES,
};
