// P7's stage attribution (issue 26): reads the monitor's stage trace (CATALYST_MONITOR_TRACE, see
// apps/monitor/src/stage-trace.ts) and splits each write's write → frame time into the stages it
// passed: the fs event, the watcher's read, the rest of its round, fuse's apply, the hub's flush,
// the socket to the client. For the slowest writes it also names what ran meanwhile (GC pauses,
// ticks, rescan slices, other applies), which is where a tail comes from.
import { readFileSync } from "node:fs";

export interface TracedWrite {
  seq: number;
  file: string;
  /** Epoch ms of the write's start (before the tmp file is written). */
  at: number;
  /** Epoch ms of the first frame carrying it at the client, or null (never seen). */
  seen: number | null;
}

interface StageLine {
  t: number;
  stage: string;
  key?: string;
  keys?: string[];
  what?: string;
  n?: number;
  ms?: number;
  /** A `lag` stall's own CPU time (bench/p11-lag-preload.mjs). */
  cpu?: number;
  kind?: number | null;
  rescan?: boolean;
}

export const STAGES = [
  "write→fs event",
  "fs event→read",
  "read→emit (rest of the round)",
  "emit→apply",
  "apply",
  "apply→flush",
  "flush→client",
] as const;

export interface Attribution {
  /** Per write with every stage found: the gaps in STAGES order, ms. */
  rows: Array<{ write: TracedWrite; total: number; gaps: number[]; during: string[] }>;
  /** Writes whose stages could not all be matched. */
  unmatched: number;
}

/** The first index in sorted `times` at or after `t`. */
function firstAtOrAfter(times: readonly number[], t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function readTrace(path: string): StageLine[] {
  const lines: StageLine[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line === "") continue;
    try {
      const parsed = JSON.parse(line) as StageLine;
      if (typeof parsed.t === "number") lines.push(parsed);
    } catch {
      // a line cut by the process's end
    }
  }
  return lines.sort((a, b) => a.t - b.t);
}

export function attribute(writes: readonly TracedWrite[], trace: readonly StageLine[]): Attribution {
  const byKey = (stage: string) => {
    const m = new Map<string, number[]>();
    for (const l of trace)
      if (l.stage === stage && l.key !== undefined) {
        const list = m.get(l.key) ?? [];
        list.push(l.t);
        m.set(l.key, list);
      }
    return m;
  };
  const times = (pred: (l: StageLine) => boolean) => trace.filter(pred).map((l) => l.t);
  const watch = byKey("watch");
  const read = byKey("read");
  const emits = trace.filter((l) => l.stage === "emit");
  const emitTimes = emits.map((l) => l.t);
  const applies = times((l) => l.stage === "apply" && l.what === "source changes");
  const applyEnds = times((l) => l.stage === "apply-end" && l.what === "source changes");
  const flushes = times((l) => l.stage === "flush");
  const allTimes = trace.map((l) => l.t);
  const rows: Attribution["rows"] = [];
  let unmatched = 0;
  for (const w of writes) {
    if (w.seen === null) {
      unmatched += 1;
      continue;
    }
    const wt = watch.get(w.file) ?? [];
    const iw = firstAtOrAfter(wt, w.at);
    const rt = read.get(w.file) ?? [];
    const watchT = wt[iw];
    const readT = watchT === undefined ? undefined : rt[firstAtOrAfter(rt, watchT)];
    let emitT: number | undefined;
    if (readT !== undefined)
      for (let i = firstAtOrAfter(emitTimes, readT); i < emits.length; i++)
        if (emits[i]!.keys?.includes(w.file)) {
          emitT = emits[i]!.t;
          break;
        }
    const applyT = emitT === undefined ? undefined : applies[firstAtOrAfter(applies, emitT)];
    const applyEndT = applyT === undefined ? undefined : applyEnds[firstAtOrAfter(applyEnds, applyT)];
    const flushT = applyEndT === undefined ? undefined : flushes[firstAtOrAfter(flushes, applyEndT)];
    const marks = [w.at, watchT, readT, emitT, applyT, applyEndT, flushT, w.seen];
    if (marks.some((m) => m === undefined || m > w.seen! + 1)) {
      unmatched += 1;
      continue;
    }
    const gaps: number[] = [];
    for (let i = 1; i < marks.length; i++) gaps.push(marks[i]! - marks[i - 1]!);
    // What else ran while this write was on its way.
    const during: string[] = [];
    for (let i = firstAtOrAfter(allTimes, w.at - 200); i < trace.length; i++) {
      const l = trace[i]!;
      if (l.t > w.seen) break;
      if (l.stage === "gc" && l.t + (l.ms ?? 0) >= w.at)
        during.push(`gc(kind ${l.kind}) ${l.ms?.toFixed(1)} ms`);
      else if (l.t >= w.at && l.stage === "apply-end" && l.what !== "source changes")
        during.push(`apply ${l.what} ending at +${(l.t - w.at).toFixed(0)} ms`);
      else if (l.t >= w.at && l.stage === "rescan-slice") during.push(`rescan slice (${l.n} files)`);
      else if (l.t >= w.at && l.stage === "alerts")
        during.push(`alert tick ${l.ms?.toFixed(1)} ms (${l.n} alerts)`);
      else if (l.t >= w.at && l.stage === "alerts-seed") during.push(`alert seed ${l.ms?.toFixed(1)} ms`);
    }
    rows.push({ write: w, total: w.seen - w.at, gaps, during });
  }
  return { rows, unmatched };
}

const med = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor(s.length / 2)]!;
};

/** A text report: each stage's median over all writes and over the slowest 1 %, and the slowest writes. */
export function attributionReport(a: Attribution, slowest = 12): string {
  const sorted = [...a.rows].sort((x, y) => y.total - x.total);
  const tail = sorted.slice(0, Math.max(1, Math.ceil(sorted.length / 100)));
  const out: string[] = [];
  out.push(`stage attribution: ${a.rows.length} writes matched, ${a.unmatched} not`);
  out.push(`  stage | median, all | mean, slowest 1 % (${tail.length}) | sum share, slowest 1 %`);
  const tailSum = tail.reduce((s, r) => s + r.total, 0);
  STAGES.forEach((name, i) => {
    const tailStage = tail.reduce((s, r) => s + r.gaps[i]!, 0);
    out.push(
      `  ${name} | ${med(a.rows.map((r) => r.gaps[i]!)).toFixed(2)} | ${(tailStage / tail.length).toFixed(2)} | ${((100 * tailStage) / tailSum).toFixed(0)} %`,
    );
  });
  out.push("  slowest writes (total: gaps in stage order; what ran meanwhile):");
  for (const r of sorted.slice(0, slowest))
    out.push(
      `  seq ${r.write.seq} ${r.total.toFixed(1)} ms: ${r.gaps.map((g) => g.toFixed(1)).join(" / ")}; ${[...new Set(r.during)].join(", ") || "–"}`,
    );
  return out.join("\n");
}
