// P3: 1,000 SSE clients, 50 events/s: delivery latency at sampled clients, server CPU and peak RSS,
// for the monitor (real fuse + hub + Hono) and a minimal node:http fan-out of same-size frames.
import {
  type ChildServer,
  openDrain,
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
  for (let i = 0; i < CLIENTS; i++) {
    const sampled = i % (CLIENTS / SAMPLED) === 0;
    clients.push(
      sampled
        ? openSse(`${server.url}events`, (frame) => {
            if (frame.event !== event) return;
            frames += 1;
            frameBytes += frame.data.length;
            samples.push(frame.at + offset - sentAtOf(frame.data));
            lastAt = Math.max(lastAt, frame.at);
          })
        : openDrain(`${server.url}events`),
    );
    if (i % 100 === 99) await sleep(20);
  }
  await Promise.all(clients.map((c) => c.ready));
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
  const delivered = clients.reduce((sum, c) => sum + c.bytes(), 0);
  for (const c of clients) c.close();
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

export const P3_SHAPE = { clients: CLIENTS, sampled: SAMPLED, rate: RATE, seconds: SECONDS };
