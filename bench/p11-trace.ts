// P11's host-part attribution (issue 28): reads the stage traces of the hosts (the dedicated host's
// CATALYST_MONITOR_TRACE, the simulated hosts' processes' `trace` files) and splits each write's
// write → broker stamp time into the stages it passed on its host: the fs event (the first watcher
// to see it), the publisher's watcher read and emit up to the publisher's queue, the wait in the
// publisher's queue up to the KV put being sent, and the put's way to the broker's stamp. For the
// slowest writes it names what held the host's event loop meanwhile (stalls, GC, rescan slices).
import { readTrace } from "./p7-trace.ts";

export interface HostWrite {
  /** The signal file's path (as the watcher names it). */
  file: string;
  /** Epoch ms of the write's start (before the tmp file is written). */
  at: number;
  /** Epoch ms of the broker's stamp on the KV put, or null (not stamped). */
  stamp: number | null;
}

export const HOST_STAGES = [
  "write→fs event",
  "fs event→read (the last before the queue)",
  "read→publisher queue (emit)",
  "queue→KV put sent",
  "put sent→broker stamp",
] as const;

export interface HostAttribution {
  rows: Array<{ write: HostWrite; total: number; gaps: number[]; during: string[] }>;
  unmatched: number;
}

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

/** Attributes each write to the stages of the trace files of its host (all files read together). */
export function attributeHost(writes: readonly HostWrite[], files: readonly string[]): HostAttribution {
  const trace = files.flatMap((f) => readTrace(f)).sort((a, b) => a.t - b.t);
  const byKey = (stage: string) => {
    const m = new Map<string, number[]>();
    for (const l of trace) {
      if (l.stage !== stage) continue;
      for (const k of l.key !== undefined ? [l.key] : (l.keys ?? [])) {
        const list = m.get(k) ?? [];
        list.push(l.t);
        m.set(k, list);
      }
    }
    return m;
  };
  const watch = byKey("watch");
  const read = byKey("read");
  const queued = byKey("relay-queue");
  const put = byKey("relay-put");
  const rows: HostAttribution["rows"] = [];
  let unmatched = 0;
  const after = (m: Map<string, number[]>, file: string, t: number | undefined) => {
    if (t === undefined) return undefined;
    const list = m.get(file) ?? [];
    return list[firstAtOrAfter(list, t)];
  };
  const allTimes = trace.map((l) => l.t);
  for (const w of writes) {
    if (w.stamp === null) {
      unmatched += 1;
      continue;
    }
    const watchT = after(watch, w.file, w.at);
    const queueT = after(queued, w.file, w.at);
    const putT = after(put, w.file, queueT);
    // The publisher's read: the last of the file's reads up to its queueing (a dedicated host's
    // local view reads it too).
    const reads = read.get(w.file) ?? [];
    const ri = queueT === undefined ? -1 : firstAtOrAfter(reads, queueT + 0.001) - 1;
    const readT = ri >= 0 && reads[ri]! >= w.at ? reads[ri] : queueT;
    const marks = [w.at, watchT ?? readT, readT, queueT, putT, w.stamp];
    if (marks.some((m) => m === undefined || m > w.stamp! + 5)) {
      unmatched += 1;
      continue;
    }
    const gaps: number[] = [];
    for (let i = 1; i < marks.length; i++) gaps.push(marks[i]! - marks[i - 1]!);
    const during: string[] = [];
    for (let i = firstAtOrAfter(allTimes, w.at); i < trace.length; i++) {
      const l = trace[i]!;
      if (l.t > w.stamp + 1000) break;
      // A stall or pause ends at its line's time: it counts when it overlapped the write's way.
      const start = l.t - (l.ms ?? 0);
      if (start > w.stamp) continue;
      if (l.stage === "lag") during.push(`stall ${l.ms?.toFixed(0)} ms (cpu ${l.cpu?.toFixed(0)})`);
      else if (l.stage === "gc" && l.t >= w.at) during.push(`gc ${l.ms?.toFixed(1)} ms`);
      else if (l.stage === "apply" && l.t >= w.at && l.t <= w.stamp) during.push(`apply ${l.what} (${l.n})`);
      else if (l.stage === "rescan-slice" && l.t <= w.stamp) during.push(`rescan slice (${l.n} files)`);
    }
    rows.push({ write: w, total: w.stamp - w.at, gaps, during });
  }
  return { rows, unmatched };
}

/** The stalls of the traces: how many, their total, and the process's own CPU time in them (ms). */
export function stallSummary(files: readonly string[], from: number, to: number): string {
  const stalls = files
    .flatMap((f) => readTrace(f))
    .filter((l) => l.stage === "lag" && l.t >= from && l.t - (l.ms ?? 0) <= to);
  const ms = stalls.reduce((a, l) => a + (l.ms ?? 0), 0);
  const cpu = stalls.reduce((a, l) => a + (l.cpu ?? 0), 0);
  const big = stalls.filter((l) => (l.ms ?? 0) >= 50);
  return `while the writes ran, ${stalls.length} stalls over 20 ms (${big.length} over 50 ms), ${ms.toFixed(0)} ms in all, of which the process ran ${cpu.toFixed(0)} ms (the rest it waited for a core)`;
}

const pct = (values: number[], p: number) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

/** Each stage's p50 / p99 over the writes, the slowest 1 %'s medians, and the slowest writes. */
export function hostAttributionReport(title: string, a: HostAttribution, slowest = 8): string {
  const out = [`${title}: ${a.rows.length} writes matched, ${a.unmatched} not`];
  if (a.rows.length === 0) return out.join("\n");
  const sorted = [...a.rows].sort((x, y) => y.total - x.total);
  const tail = sorted.slice(0, Math.max(1, Math.ceil(sorted.length / 100)));
  out.push(
    `  ${"stage".padEnd(44)} ${"p50".padStart(8)} ${"p99".padStart(8)} ${"tail 1% median".padStart(15)}`,
  );
  HOST_STAGES.forEach((name, i) => {
    const all = a.rows.map((r) => r.gaps[i]!);
    const t = tail.map((r) => r.gaps[i]!);
    out.push(
      `  ${name.padEnd(44)} ${pct(all, 50).toFixed(1).padStart(8)} ${pct(all, 99).toFixed(1).padStart(8)} ${pct(t, 50).toFixed(1).padStart(15)}`,
    );
  });
  const totals = a.rows.map((r) => r.total);
  out.push(
    `  ${"total".padEnd(44)} ${pct(totals, 50).toFixed(1).padStart(8)} ${pct(totals, 99).toFixed(1).padStart(8)}`,
  );
  out.push("  slowest:");
  for (const r of sorted.slice(0, slowest))
    out.push(
      `    ${r.total.toFixed(0)} ms = ${r.gaps.map((g) => g.toFixed(0)).join(" + ")}${r.during.length > 0 ? `; meanwhile ${r.during.slice(0, 6).join(", ")}` : ""}`,
    );
  return out.join("\n");
}
