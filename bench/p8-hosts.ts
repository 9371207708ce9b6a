// P8: several machines through NATS JetStream. Ten simulated hosts (own catalyst dirs, each served
// by the built `catalyst-monitor --publish`) feed one central `catalyst-monitor --nats`; one SSE
// client on the central monitor. Measured: host write → central SSE frame p50/p99 next to one
// local monitor over the same number of workers in the same run, end-to-end throughput (a burst
// of signal writes and of log lines), and recovery after the broker is killed and restarted
// while the hosts keep writing.
//
//   node --import tsx bench/p8-hosts.ts [--hosts 10] [--workers 200] [--writes 1000] [--rate 200]
//                                       [--log-lines 5000] [--outage-ms 5000]
// Run alone it rewrites its own BENCHMARKS.md section; `pnpm bench --only p8` runs it too.
import { existsSync } from "node:fs";
import { appendFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NATS_SERVER, startNatsServer } from "../packages/test-utils/src/nats-server.ts";
import {
  countWorkers,
  getText,
  measure,
  orchOf,
  percentile,
  ticketOf,
  watchSeqs,
  writeFleet,
  writeSignal,
} from "./p7-scale.ts";
import type { Figure } from "./summary.ts";
import {
  type Child,
  fmtMs,
  load,
  machine,
  memoryOf,
  numericFlags,
  ROOT,
  sleep,
  startListening,
  writeSection,
} from "./support.ts";

export interface P8Shape {
  hosts: number;
  workersPerHost: number;
  /** Paced signal writes for the latency figure (spread over the hosts). */
  writes: number;
  /** Writes per second of the paced phase. */
  rate: number;
  /** Log lines appended as fast as possible for the throughput figure. */
  logLines: number;
  /** How long the broker stays down while the hosts keep writing. */
  outageMs: number;
}

export const P8_DEFAULTS: P8Shape = {
  hosts: 10,
  workersPerHost: 200,
  writes: 1000,
  rate: 200,
  logLines: 5000,
  outageMs: 5000,
};

export const P8_HEADING = "System P8: several machines through NATS JetStream";

export interface P8Result {
  shape: P8Shape;
  centralColdStartMs: number;
  central: { p50: number; p99: number; bytesPerWrite: number; lost: number; delivered: number };
  single: { p50: number; p99: number; bytesPerWrite: number; lost: number };
  burst: { writes: number; ms: number; lost: number };
  log: { lines: number; ms: number; lost: number };
  recovery: { outageWrites: number; restartMs: number; recoveryMs: number; lost: number };
  centralRssMB: number;
  hostRssMB: number;
}

const BIN = join(ROOT, "apps/monitor/dist/bin.js");
const hostName = (h: number) => `h${String(h).padStart(2, "0")}`;

async function waitFor(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

/** Polls /api/snapshot until it holds `workers` workers and no `loading` mark. */
async function fullSnapshot(url: string, workers: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    const res = await getText(`${url}api/snapshot`);
    if (!res.text.includes('"loading":{') && countWorkers(res.text) >= workers) return true;
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
}

export async function runP8(shape: P8Shape): Promise<P8Result> {
  if (!NATS_SERVER) throw new Error("nats-server is not installed (apt-get install nats-server)");
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`pnpm --filter catalyst-monitor build\``);
  const root = await mkdtemp(join(tmpdir(), "bench-p8-"));
  // The publishers keep their cursors in the cache dir: one for this run, removed at the end.
  const previousCache = process.env.CATALYST_CACHE_DIR;
  process.env.CATALYST_CACHE_DIR = join(root, "cache");
  const children: Child[] = [];
  const broker = await startNatsServer(join(root, "nats"));
  try {
    const dirs: string[] = [];
    for (let h = 0; h < shape.hosts; h++) {
      const dir = join(root, hostName(h));
      await mkdir(dir);
      await writeFleet(dir, shape.workersPerHost);
      dirs.push(dir);
    }
    for (let h = 0; h < shape.hosts; h++) {
      children.push(
        await startListening([
          BIN,
          "--dir",
          dirs[h]!,
          "--port",
          "0",
          "--publish",
          broker.url,
          "--host-name",
          hostName(h),
        ]),
      );
    }
    const total = shape.hosts * shape.workersPerHost;
    const t0 = performance.now();
    const central = await startListening([BIN, "--nats", broker.url, "--port", "0"]);
    children.push(central);
    const centralColdStartMs = (await fullSnapshot(central.url, total, 180_000))
      ? performance.now() - t0
      : Number.NaN;
    console.log(`P8 central: ${total} workers from ${shape.hosts} hosts in ${fmtMs(centralColdStartMs)} ms`);

    const signals = watchSeqs(central.url);
    const logs = watchSeqs(central.url, /"lseq-(\d+)"/g);
    await waitFor(() => signals.ready() && logs.ready(), 60_000);

    // 1. Paced writes: latency.
    const bytesBefore = signals.bytes();
    const writtenAt = new Map<number, number>();
    const finals = new Map<string, number>();
    const stride = 7919;
    const perTick = Math.max(1, Math.round(shape.rate / 100));
    let seq = 0;
    const paced = async (count: number, rate: number) => {
      const started = performance.now();
      const first = seq;
      while (seq < first + count) {
        const wait = started + ((seq - first) / rate) * 1000 - performance.now();
        if (wait > 0) await sleep(wait);
        const batch: Array<Promise<void>> = [];
        for (let k = 0; k < perTick && seq < first + count; k++, seq++) {
          const host = seq % shape.hosts;
          const worker = (Math.floor(seq / shape.hosts) * stride) % shape.workersPerHost;
          writtenAt.set(seq, performance.now());
          finals.set(`${host}:${worker}`, seq);
          batch.push(writeSignal(dirs[host]!, worker, seq));
        }
        await Promise.all(batch);
      }
    };
    await paced(shape.writes, shape.rate);
    const allFinalsSeen = () => [...finals.values()].every((s) => signals.firstSeen.has(s));
    await waitFor(allFinalsSeen, 30_000);
    const latencies: number[] = [];
    for (const [s, at] of signals.firstSeen) {
      const w = writtenAt.get(s);
      if (w !== undefined && s < shape.writes) latencies.push(at - w);
    }
    latencies.sort((a, b) => a - b);
    const centralFigures = {
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      bytesPerWrite: (signals.bytes() - bytesBefore) / shape.writes,
      lost: [...finals.values()].filter((s) => !signals.firstSeen.has(s)).length,
      delivered: latencies.length,
    };
    console.log(
      `P8 central write → frame: p50 ${fmtMs(centralFigures.p50)} p99 ${fmtMs(centralFigures.p99)} ms, lost ${centralFigures.lost}`,
    );

    // 2. Burst: every worker of every host written once, as fast as the disk takes it.
    finals.clear();
    const burstStart = performance.now();
    const burstFirst = seq;
    const writes: Array<Promise<void>> = [];
    for (let h = 0; h < shape.hosts; h++) {
      for (let w = 0; w < shape.workersPerHost; w++, seq++) {
        finals.set(`${h}:${w}`, seq);
        writes.push(writeSignal(dirs[h]!, w, seq));
        if (writes.length >= 200) await Promise.all(writes.splice(0));
      }
    }
    await Promise.all(writes);
    await waitFor(allFinalsSeen, 60_000);
    const burstEnd = Math.max(...[...finals.values()].map((s) => signals.firstSeen.get(s) ?? Number.NaN));
    const burst = {
      writes: seq - burstFirst,
      ms: burstEnd - burstStart,
      lost: [...finals.values()].filter((s) => !signals.firstSeen.has(s)).length,
    };
    console.log(`P8 burst: ${burst.writes} writes in ${fmtMs(burst.ms)} ms, lost ${burst.lost}`);

    // 3. Log lines: appended in chunks of 100 per host file, as fast as possible.
    const month = new Date().toISOString().slice(0, 7);
    const logStart = performance.now();
    for (let n = 0; n < shape.logLines; ) {
      const batch: Array<Promise<void>> = [];
      for (let h = 0; h < shape.hosts && n < shape.logLines; h++) {
        const lines: string[] = [];
        for (let k = 0; k < 100 && n < shape.logLines; k++, n++)
          lines.push(
            JSON.stringify({
              ts: new Date().toISOString(),
              orchestrator: orchOf(0),
              worker: ticketOf(0),
              event: "heartbeat",
              detail: { mark: `lseq-${n}` },
            }),
          );
        batch.push(appendFile(join(dirs[h]!, "events", `${month}.jsonl`), `${lines.join("\n")}\n`));
      }
      await Promise.all(batch);
    }
    await waitFor(() => logs.firstSeen.size >= shape.logLines, 60_000);
    const log = {
      lines: shape.logLines,
      ms: Math.max(...logs.firstSeen.values()) - logStart,
      lost: shape.logLines - logs.firstSeen.size,
    };
    console.log(`P8 log: ${log.lines} lines in ${fmtMs(log.ms)} ms, lost ${log.lost}`);

    // 4. The broker killed (SIGKILL) while the hosts keep writing, then restarted.
    finals.clear();
    await broker.kill("SIGKILL");
    const outageFirst = seq;
    await paced(Math.round((shape.outageMs / 1000) * 50), 50);
    const outageWrites = seq - outageFirst;
    const r0 = performance.now();
    await broker.restart();
    const restartMs = performance.now() - r0;
    for (let h = 0; h < shape.hosts; h++, seq++) {
      finals.set(`${h}:0`, seq);
      await writeSignal(dirs[h]!, 0, seq);
    }
    await waitFor(allFinalsSeen, 120_000);
    const recoveredAt = Math.max(...[...finals.values()].map((s) => signals.firstSeen.get(s) ?? Number.NaN));
    const recovery = {
      outageWrites,
      restartMs,
      recoveryMs: recoveredAt - (r0 + restartMs),
      lost: [...finals.values()].filter((s) => !signals.firstSeen.has(s)).length,
    };
    console.log(
      `P8 recovery: ${outageWrites} writes during a ${shape.outageMs} ms outage, all seen ${fmtMs(recovery.recoveryMs)} ms after the broker was back, lost ${recovery.lost}`,
    );
    const centralMem = memoryOf(central.child.pid!);
    const hostMem = memoryOf(children[0]!.child.pid!);
    signals.close();
    logs.close();
    for (const c of children.splice(0).reverse()) await c.stop();

    // 5. The same fleet on one machine: one local monitor over every worker, same paced writes.
    const singleDir = join(root, "single");
    await mkdir(singleDir);
    await writeFleet(singleDir, total);
    const single = await measure("monitor", singleDir, total, {
      sizes: [total],
      writes: shape.writes,
      rate: shape.rate,
      source: false,
    });
    console.log(`P8 single host: p50 ${fmtMs(single.p50)} p99 ${fmtMs(single.p99)} ms`);
    return {
      shape,
      centralColdStartMs,
      central: centralFigures,
      single: { p50: single.p50, p99: single.p99, bytesPerWrite: single.bytesPerWrite, lost: single.lost },
      burst,
      log,
      recovery,
      centralRssMB: (centralMem?.rss ?? Number.NaN) / 1e6,
      hostRssMB: (hostMem?.rss ?? Number.NaN) / 1e6,
    };
  } finally {
    for (const c of children.reverse()) await c.stop().catch(() => {});
    await broker.kill("SIGKILL").catch(() => {});
    if (previousCache === undefined) delete process.env.CATALYST_CACHE_DIR;
    else process.env.CATALYST_CACHE_DIR = previousCache;
    await rm(root, { recursive: true, force: true });
  }
}

export function p8Section(r: P8Result, runAt: Date, loadBefore: string): string {
  const s = r.shape;
  const total = s.hosts * s.workersPerHost;
  const perSec = (n: number, ms: number) => ((n / ms) * 1000).toFixed(0);
  return `Run ${runAt.toISOString()} with \`node --import tsx bench/p8-hosts.ts\` (flags \`--hosts\`, \`--workers\`, \`--writes\`, \`--rate\`, \`--log-lines\`, \`--outage-ms\`; \`pnpm bench --only p8\` runs it too).
Machine: ${machine()}; load average ${loadBefore} at the start.

${s.hosts} simulated hosts × ${s.workersPerHost} workers (${total} in all), each host its own catalyst dir served by
the built \`catalyst-monitor --publish\` (its own process, with its local dashboard), one
\`nats-server -js\` (Debian, single node, loopback), and the built central \`catalyst-monitor --nats\`
with one SSE client. Every process shares the same 2-core box, so the "network" is loopback and
the ${s.hosts + 2} processes compete for the two cores: the figures are the software's cost, not a LAN's.
The single-host row is one local monitor over the same ${total} workers in one catalyst dir, in the
same run, with the same paced writes.

| path | write p50, ms | write p99, ms | bytes/write at the client | lost finals |
|---|---|---|---|---|
| host → NATS → central (${s.hosts} hosts) | ${fmtMs(r.central.p50)} | ${fmtMs(r.central.p99)} | ${r.central.bytesPerWrite.toFixed(0)} | ${r.central.lost} |
| one local monitor (${total} workers) | ${fmtMs(r.single.p50)} | ${fmtMs(r.single.p99)} | ${r.single.bytesPerWrite.toFixed(0)} | ${r.single.lost} |

Latency: ${s.writes} signal writes (tmp + rename) at ${s.rate}/s spread round-robin over the hosts, each
carrying its sequence number; write → first SSE frame at the central client that carries it.

| figure | value |
|---|---|
| central cold start (spawn → /api/snapshot with all ${total} workers, no \`loading\`) | ${fmtMs(r.centralColdStartMs)} ms |
| burst: every worker written once (${r.burst.writes} writes) → all at the client | ${fmtMs(r.burst.ms)} ms (${perSec(r.burst.writes, r.burst.ms)} writes/s), lost ${r.burst.lost} |
| log lines appended as fast as possible (${r.log.lines}) → all \`log-event\` frames | ${fmtMs(r.log.ms)} ms (${perSec(r.log.lines, r.log.ms)} lines/s), lost ${r.log.lost} |
| broker SIGKILLed for ${(s.outageMs / 1000).toFixed(0)} s while the hosts wrote ${r.recovery.outageWrites} signals; restart (spawn → ready) | ${fmtMs(r.recovery.restartMs)} ms |
| recovery: broker ready → every outage write and one fresh write per host at the client | ${fmtMs(r.recovery.recoveryMs)} ms, lost ${r.recovery.lost} |
| RSS after the run: central monitor / one host's monitor | ${r.centralRssMB.toFixed(0)} MB / ${r.hostRssMB.toFixed(0)} MB |

Nothing lost is the goal of every row; the latency and throughput figures are reported next to
the single host's, not held to a bar (the issue sets none).

Recovery includes the NATS clients' reconnect wait and the central consumer's pull, which expires
every 5 s; so it varies from well under a second to about 6 s from run to run (0.4 s and 5.7 s in
two runs on the same day).`;
}

export function p8Figures(r: P8Result): Figure[] {
  const lost = r.central.lost + r.burst.lost + r.log.lost + r.recovery.lost;
  return [
    {
      p: "P8",
      what: `host write → central SSE p99, ${r.shape.hosts} hosts × ${r.shape.workersPerHost} workers via NATS`,
      goal: "reported next to one host; zero lost",
      value: `${fmtMs(r.central.p99)} ms (p50 ${fmtMs(r.central.p50)}), ${lost} lost`,
      baseline: `${fmtMs(r.single.p99)} ms (one local monitor)`,
      ratio: `${(r.central.p99 / r.single.p99).toFixed(1)}×`,
      met: lost === 0 ? "yes" : "no",
      note: `recovery after a broker restart ${fmtMs(r.recovery.recoveryMs)} ms; see P8`,
    },
  ];
}

export function parseP8Args(argv: readonly string[], prefix = ""): P8Shape {
  const opt = numericFlags(argv, prefix);
  return {
    hosts: opt("hosts", P8_DEFAULTS.hosts),
    workersPerHost: opt("workers", P8_DEFAULTS.workersPerHost),
    writes: opt("writes", P8_DEFAULTS.writes),
    rate: opt("rate", P8_DEFAULTS.rate),
    logLines: opt("log-lines", P8_DEFAULTS.logLines),
    outageMs: opt("outage-ms", P8_DEFAULTS.outageMs),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const shape = parseP8Args(process.argv.slice(2));
  const runAt = new Date();
  const loadBefore = load();
  const result = await runP8(shape);
  await writeSection(P8_HEADING, p8Section(result, runAt, loadBefore));
  console.log(`P8 written to BENCHMARKS.md in ${((Date.now() - runAt.getTime()) / 1000).toFixed(0)} s`);
}
