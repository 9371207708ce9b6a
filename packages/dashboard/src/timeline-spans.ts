// A worker's statuses as time spans, from phaseTimestamps (DOM-free, so it is tested in Node).
import type { WorkerView } from "@catalyst/schema";
import { compareNatural, parseTime } from "./format.js";
import { isFinished } from "./status-tone.js";

/** One coloured span of a worker's row. */
export interface TimelineSpan {
  status: string;
  start: number;
  end: number;
  /** True for the current status of a worker still running: it ends at "now". */
  open: boolean;
  /** The execution-core phase the span is (its `status` is that phase's status). */
  phase?: string;
}

/**
 * An execution-core ticket's phases as spans (FORMATS-TODAY R3.15): each phase file from its
 * `startedAt` to its `completedAt`, a phase still in flight to now.
 */
export function pipelineSpans(w: WorkerView, now: number): TimelineSpan[] {
  const out: TimelineSpan[] = [];
  for (const p of w.pipeline?.phases ?? []) {
    const start = parseTime(p.startedAt);
    if (start === null) continue;
    const end = parseTime(p.completedAt);
    const settled = end !== null || ["done", "failed", "stalled", "skipped"].includes(p.status);
    const stop = end ?? (settled ? (parseTime(p.updatedAt) ?? start) : Math.max(now, start));
    out.push({ status: p.status, start, end: Math.max(stop, start), open: !settled, phase: p.phase });
  }
  return out.sort((a, b) => a.start - b.start);
}

/** A worker's statuses in time order, as spans; `[]` when it has no timestamps at all. */
export function workerSpans(w: WorkerView, now: number): TimelineSpan[] {
  if (w.pipeline) return pipelineSpans(w, now);
  const points: Array<{ status: string; at: number }> = [];
  for (const [status, iso] of Object.entries(w.phaseTimestamps)) {
    const at = parseTime(iso);
    if (at !== null) points.push({ status, at });
  }
  points.sort((a, b) => a.at - b.at || compareNatural(a.status, b.status));
  const started = parseTime(w.startedAt);
  if (
    started !== null &&
    (points.length === 0 || started < points[0]!.at) &&
    !points.some((p) => p.status === "dispatched")
  )
    points.unshift({ status: "dispatched", at: started });
  if (points.length === 0) return [];
  const finished = isFinished(w.status);
  const endOfLast = finished
    ? Math.max(points.at(-1)!.at, parseTime(w.completedAt) ?? parseTime(w.updatedAt) ?? points.at(-1)!.at)
    : Math.max(now, points.at(-1)!.at);
  // A current status missing from phaseTimestamps (writers skip some, FORMATS §2.5) still shows.
  if (points.at(-1)!.status !== w.status && !finished) {
    const at = parseTime(w.updatedAt);
    if (at !== null && at >= points.at(-1)!.at) points.push({ status: w.status, at });
  }
  return points.map((p, i) => {
    const next = points[i + 1];
    return { status: p.status, start: p.at, end: next ? next.at : endOfLast, open: !next && !finished };
  });
}
