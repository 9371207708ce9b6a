// P10: execution-core tickets (issue 23). 2,000 tickets under `execution-core/workers/<T>/`, each
// with a done `phase-plan.json` and a running `phase-implement.json`, served by catalyst-monitor.
// Each write is a new `phase-verify.json` of one ticket (tmp + rename, as execution-core writes);
// latency is write → the SSE `worker-update` that carries it (the frame fuse publishes once the
// ticket's snapshot entry changed), and at the end /api/snapshot is checked for the §3.4 result
// (phase verify, status running, column Validate) of every written ticket. Baseline, same run,
// same monitor: the P7 fleet of 2,000 flat signal files, written the same way.
//
//   node --import tsx bench/p10-execution-core.ts [--tickets 2000] [--writes 300] [--rate 100]
//                                                 [--runs 3] [--dist]
// Rewrites its own BENCHMARKS.md section.
import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { countWorkers, getText, percentile, watchSeqs, writeFleet, writeSignal } from "./p7-scale.ts";
import {
  fmtMs,
  load,
  loadNote,
  MONITOR_FROM_SOURCE,
  machine,
  median,
  ROOT,
  sleep,
  startListening,
  writeSection,
} from "./support.ts";

export const P10_HEADING = "P10: execution-core tickets (issue 23)";

const HOUR_AGO = `${new Date(Date.now() - 3_600_000).toISOString().slice(0, 19)}Z`;
const ticketOf = (i: number) => `P10-${String(i).padStart(5, "0")}`;

function phaseText(ticket: string, phase: string, status: string, extra: object = {}): string {
  return `${JSON.stringify({
    ticket,
    phase,
    orchestrator: ticket,
    model: "opus",
    executor: "bg",
    turnCap: 200,
    status,
    bg_job_id: null,
    startedAt: HOUR_AGO,
    updatedAt: HOUR_AGO,
    host: { name: "bench.local", id: "0000000000000000" },
    ...extra,
  })}\n`;
}

async function writeCoreFleet(dir: string, tickets: number): Promise<void> {
  for (let start = 0; start < tickets; start += 250) {
    const batch: Array<Promise<void>> = [];
    for (let i = start; i < Math.min(tickets, start + 250); i++) {
      const t = ticketOf(i);
      const tdir = join(dir, "execution-core", "workers", t);
      batch.push(
        mkdir(tdir, { recursive: true }).then(async () => {
          await writeFile(
            join(tdir, "phase-plan.json"),
            phaseText(t, "plan", "done", { completedAt: HOUR_AGO }),
          );
          await writeFile(
            join(tdir, "phase-implement.json"),
            phaseText(t, "implement", "done", { completedAt: HOUR_AGO }),
          );
        }),
      );
    }
    await Promise.all(batch);
  }
}

/** The verify phase of one ticket starts: `phase-verify.json`, running, `stalledReason` carrying `seq-N`. */
async function writeVerify(dir: string, i: number, seq: number): Promise<void> {
  const t = ticketOf(i);
  const file = join(dir, "execution-core", "workers", t, "phase-verify.json");
  const text = phaseText(t, "verify", "running", {
    updatedAt: new Date().toISOString(),
    stalledReason: `seq-${seq}`,
  });
  await writeFile(`${file}.tmp.${seq}`, text);
  await rename(`${file}.tmp.${seq}`, file);
}

interface Run {
  kind: "execution-core" | "signal files";
  p50: number;
  p99: number;
  lost: number;
  /** Written tickets whose /api/snapshot entry had the §3.4 phase/status/column (execution-core only). */
  derivedOk: number | null;
  written: number;
  coldStartMs: number;
}

async function runOnce(
  kind: Run["kind"],
  dir: string,
  size: number,
  writes: number,
  rate: number,
  dist: boolean,
): Promise<Run> {
  const t0 = performance.now();
  const bin = dist ? [join(ROOT, "apps/monitor/dist/bin.js")] : MONITOR_FROM_SOURCE;
  const server = await startListening(
    [...bin, "--dir", dir, "--port", "0", "--history", "0", "--jobs-dir", join(dir, "no-jobs")],
    { timeoutMs: 180_000 },
  );
  try {
    const deadline = Date.now() + 180_000;
    for (;;) {
      const res = await getText(`${server.url}api/snapshot`);
      if (!res.text.includes('"loading":{') && countWorkers(res.text) >= size) break;
      if (Date.now() > deadline) throw new Error(`${kind}: no full snapshot in 180 s`);
      await sleep(50);
    }
    const coldStartMs = performance.now() - t0;
    const stream = watchSeqs(
      server.url,
      kind === "execution-core" ? /"error":"seq-(\d+)"/g : /"error":"seq-(\d+)"/g,
    );
    while (!stream.ready()) await sleep(10);
    const writtenAt = new Map<number, number>();
    const lastSeqOf = new Map<number, number>();
    const started = performance.now();
    for (let seq = 0; seq < writes; seq++) {
      const wait = started + (seq / rate) * 1000 - performance.now();
      if (wait > 0) await sleep(wait);
      const target = (seq * 7919) % size;
      writtenAt.set(seq, performance.now());
      lastSeqOf.set(target, seq);
      await (kind === "execution-core" ? writeVerify(dir, target, seq) : writeSignal(dir, target, seq));
    }
    const finals = [...lastSeqOf.values()];
    const settle = Date.now() + 20_000;
    while (Date.now() < settle && finals.some((s) => !stream.firstSeen.has(s))) await sleep(50);
    stream.close();
    const latencies: number[] = [];
    for (const [s, at] of stream.firstSeen) {
      const w = writtenAt.get(s);
      if (w !== undefined) latencies.push(at - w);
    }
    latencies.sort((a, b) => a - b);
    let derivedOk: number | null = null;
    if (kind === "execution-core") {
      const snap = JSON.parse((await getText(`${server.url}api/snapshot`)).text) as {
        orchestrators: Array<{
          id: string;
          workers: Record<
            string,
            { error: string | null; pipeline?: { phase: string; phaseStatus: string; column: string } }
          >;
        }>;
      };
      const core = snap.orchestrators.find((o) => o.id === "execution-core");
      derivedOk = 0;
      for (const [target, seq] of lastSeqOf) {
        const w = core?.workers[ticketOf(target)];
        const p = w?.pipeline;
        if (
          p?.phase === "verify" &&
          p.phaseStatus === "running" &&
          p.column === "Validate" &&
          w?.error === `seq-${seq}`
        )
          derivedOk++;
      }
    }
    return {
      kind,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      lost: finals.filter((s) => !stream.firstSeen.has(s)).length,
      derivedOk,
      written: lastSeqOf.size,
      coldStartMs,
    };
  } finally {
    await server.stop();
  }
}

function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : fallback;
}

async function main(): Promise<void> {
  const size = Number(arg("tickets", "2000"));
  const writes = Number(arg("writes", "300"));
  const rate = Number(arg("rate", "100"));
  const runs = Number(arg("runs", "3"));
  const dist = process.argv.includes("--dist");
  const loadBefore = load();
  const loadNoteBefore = loadNote();
  const startedAt = new Date().toISOString();
  const results: Run[] = [];
  for (let r = 0; r < runs; r++) {
    // Fresh dirs per run; the two kinds alternate so both see the same load.
    const core = await mkdtemp(join(tmpdir(), "p9-core-"));
    const flat = await mkdtemp(join(tmpdir(), "p9-flat-"));
    try {
      await writeCoreFleet(core, size);
      await writeFleet(flat, size);
      results.push(await runOnce("execution-core", core, size, writes, rate, dist));
      results.push(await runOnce("signal files", flat, size, writes, rate, dist));
      const last = results.slice(-2);
      console.log(
        last
          .map(
            (x) =>
              `${x.kind}: p50 ${fmtMs(x.p50)} ms, p99 ${fmtMs(x.p99)} ms, lost ${x.lost}${x.derivedOk === null ? "" : `, §3.4 ok ${x.derivedOk}/${x.written}`}`,
          )
          .join(" | "),
      );
    } finally {
      await rm(core, { recursive: true, force: true });
      await rm(flat, { recursive: true, force: true });
    }
  }
  const of = (kind: Run["kind"]) => results.filter((x) => x.kind === kind);
  const row = (kind: Run["kind"]) => {
    const rs = of(kind);
    const ok = rs.every((x) => x.derivedOk === null)
      ? "n/a"
      : rs.map((x) => `${x.derivedOk}/${x.written}`).join(", ");
    return `| ${kind} | ${size} | ${fmtMs(median(rs.map((x) => x.p50)))} | ${fmtMs(median(rs.map((x) => x.p99)))} | ${rs.map((x) => fmtMs(x.p99)).join(", ")} | ${rs.reduce((n, x) => n + x.lost, 0)} | ${ok} | ${fmtMs(median(rs.map((x) => x.coldStartMs)))} |`;
  };
  const coreP99 = median(of("execution-core").map((x) => x.p99));
  const body = `Run ${startedAt} on ${machine()}; load average before: ${loadBefore}, after: ${load()}.
${loadNoteBefore}
Monitor from ${dist ? "dist" : "source (tsx)"}; ${writes} writes per run at ${rate}/s,
${runs} runs, each kind on a fresh dir, alternating. Latency is a phase file (or signal file) written
with tmp + rename → the SSE frame carrying it; "§3.4 ok" counts written tickets whose \`/api/snapshot\`
entry then had phase \`verify\`, status \`running\`, column \`Validate\` and the last write's marker.

| fleet | size | p50 ms (median) | p99 ms (median) | p99 per run | lost | §3.4 ok per run | cold start ms |
|---|---|---|---|---|---|---|---|
${row("execution-core")}
${row("signal files")}

Goal (issue 23): an execution-core ticket in /api/snapshot with its §3.4 phase/status within 50 ms p99
of its phase file being written, at 2,000 tickets: **${coreP99 <= 50 ? "met" : "not met"}** (median p99 ${fmtMs(coreP99)} ms).
Reproduce: \`node --import tsx bench/p10-execution-core.ts\`.`;
  await writeSection(P10_HEADING, body);
  console.log(body);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
