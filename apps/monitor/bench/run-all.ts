// `pnpm --filter catalyst-monitor bench`: runs P1, P2 and P3 (monitor and raw baseline alternating
// in the same run) and rewrites the monitor section of BENCHMARKS.md.
import { loadavg } from "node:os";
import { writeSection } from "@catalyst/test-utils/bench";
import { fmt, machineLine, medianRun, type Summary } from "./bench-support.js";
import { P1_SHAPE, P2_SHAPE, runP1, runP2 } from "./p1-p2-latency.js";
import { type FanoutRun, P3_SHAPE, runP3 } from "./p3-fanout.js";

const HEADING = "Monitor: write → SSE latency and fan-out";
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

const row = (name: string, s: Summary, runs: Summary[]) =>
  `| ${name} | ${fmt(s.p50)} | ${fmt(s.p95)} | ${fmt(s.p99)} | ${fmt(s.max)} | ${s.n} | ${s.missed} | ${runs.map((r) => fmt(r.p50)).join(" / ")} |`;

const latencyTable = (monitor: Summary[], baseline: Summary[]) =>
  [
    "| server | p50 ms | p95 ms | p99 ms | max ms | frames | missed | p50 of each run |",
    "|---|---|---|---|---|---|---|---|",
    row("catalyst-monitor", medianRun(monitor.map((summary) => ({ summary }))).summary, monitor),
    row("raw baseline", medianRun(baseline.map((summary) => ({ summary }))).summary, baseline),
  ].join("\n");

const fanRow = (name: string, runs: FanoutRun[]) => {
  const r = medianRun(runs);
  return `| ${name} | ${fmt(r.summary.p50)} | ${fmt(r.summary.p99)} | ${fmt(r.summary.max)} | ${r.achievedRate.toFixed(1)} | ${r.cpuSeconds?.toFixed(1) ?? "–"} | ${r.peakRssMiB?.toFixed(0) ?? "–"} | ${r.frameBytes} | ${runs.map((x) => fmt(x.summary.p50)).join(" / ")} |`;
};

const load = loadavg()[0]!.toFixed(1);
const startedAt = new Date().toISOString();
console.log(`monitor benches, ${rounds} rounds each; load average ${load}`);
const p1 = await runP1(rounds);
console.log("P1 done", JSON.stringify(p1));
const p2 = await runP2(rounds);
console.log("P2 done", JSON.stringify(p2));
const p3 = await runP3(Math.max(1, rounds - 1));
console.log("P3 done", JSON.stringify(p3));
const loadAfter = loadavg()[0]!.toFixed(1);

const section = `Run with \`pnpm --filter catalyst-monitor bench\` (\`apps/monitor/bench/run-all.ts\`), which rewrites this
section. Machine: ${machineLine()}; started ${startedAt}, 1-min load average ${load} at start and
${loadAfter} at the end (a shared box: other engineers' builds and benches ran at the same time, so
tails are noisy). Each figure is the median run (by p50) of ${rounds} alternating monitor/baseline
rounds for P1 and P2 and ${Math.max(1, rounds - 1)} for P3; the last column shows every run's p50.
The monitor runs as its real bin from source (tsx) for P1/P2, in a child process; the client is a
raw node:http SSE reader in the bench process.

**P1: signal write → \`worker-update\` frame.** ${P1_SHAPE.orchestrators} orchestrators × ${P1_SHAPE.workers} workers
(${P1_SHAPE.orchestrators * P1_SHAPE.workers} signal files under \`runs/\`), ${P1_SHAPE.bursts} bursts of ${P1_SHAPE.burstSize} tmp+rename writes, one burst a
second. Latency runs from just before the rename to the frame's arrival. Baseline: recursive
\`fs.watch\` → one node:http SSE frame per \`*.json\` event (no read, no parse, no fuse).

${latencyTable(p1.monitor, p1.baseline)}

**P2: event-log append → \`log-event\` frame.** ${P2_SHAPE.lines} v1 lines appended to
\`events/YYYY-MM.jsonl\`, one every ${P2_SHAPE.everyMs} ms. Baseline: \`fs.watch\` on the log's directory → read
the new bytes → one frame per line.

${latencyTable(p2.monitor, p2.baseline)}

**P3: fan-out, ${P3_SHAPE.clients} clients at ${P3_SHAPE.rate} events/s for ${P3_SHAPE.seconds} s.** The monitor side is the real fuse +
SSE hub + Hono app fed ${P3_SHAPE.rate} worker signal changes a second; the baseline is a minimal node:http
server writing frames of the same size to every client. ${P3_SHAPE.sampled} clients in the bench process parse and
time frames (stamped with their scheduled send time, so a sender that falls behind counts as
latency); the other ${P3_SHAPE.clients - P3_SHAPE.sampled} are idle readers on plain sockets in ${P3_SHAPE.drainProcesses} processes of their own
(\`drain-clients.mjs\`), so the bench process is no longer the bottleneck. CPU is the server's
user+system seconds during the run; RSS its peak.

| server | p50 ms | p99 ms | max ms | events/s delivered | CPU s | peak RSS MiB | frame bytes | p50 of each run |
|---|---|---|---|---|---|---|---|---|
${fanRow("catalyst-monitor", p3.monitor)}
${fanRow("raw baseline", p3.baseline)}

P3 shares the 2-core box with its reader processes and, on this run, with other engineers' jobs:
when "events/s delivered" is below the 50/s target, the box fell behind, not only the server, so
compare the two rows of the same run. Until the idle clients moved to processes of their own, the
bench process read all 1,000 sockets itself and was the bottleneck: its raw baseline showed p99
510 ms. Before the monitor wrote SSE frames
straight to the Node response (it went through a web \`ReadableStream\` per client), the same P3 took
8.6 CPU s and delivered 26.8 events/s against the baseline's 4.4 s and 38.3 events/s.
`;

await writeSection(HEADING, section);
console.log(section);
