// The timeline of one orchestrator: each worker a row, each status it went through a coloured span
// from phaseTimestamps, and a "now" edge that open spans run up to. Positions are percentages of
// the orchestrator's time range, set through the CSSOM (no inline style attributes), so the card is
// rebuilt only when data changes or the now edge moves a step (view-fleet.ts).
import type { OrchestratorView, WorkerView } from "@catalyst/schema";
import { el } from "./dom.js";
import { compareNatural, formatAgeSince, parseTime } from "./format.js";
import { isFinished, workerStatusTone } from "./status-tone.js";

/** One coloured span of a worker's row. */
export interface TimelineSpan {
  status: string;
  start: number;
  end: number;
  /** True for the current status of a worker still running: it ends at "now". */
  open: boolean;
}

/** A worker's statuses in time order, as spans; `[]` when it has no timestamps at all. */
export function workerSpans(w: WorkerView, now: number): TimelineSpan[] {
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

/** The time range the rows share: the first timestamp to now (or the last end, when later). */
export function timelineRange(spans: readonly TimelineSpan[][], now: number): { from: number; to: number } {
  let from = Number.POSITIVE_INFINITY;
  let to = now;
  for (const row of spans)
    for (const s of row) {
      if (s.start < from) from = s.start;
      if (s.end > to) to = s.end;
    }
  if (!Number.isFinite(from)) from = now - 60_000;
  // A little room after now, so the edge is visible and open spans visibly reach it.
  const pad = Math.max(1000, (to - from) * 0.02);
  return { from, to: to + pad };
}

function pct(value: number, from: number, to: number): string {
  const span = to - from;
  return `${span <= 0 ? 0 : Math.max(0, Math.min(100, ((value - from) / span) * 100)).toFixed(3)}%`;
}

function renderRow(w: WorkerView, spans: TimelineSpan[], from: number, to: number): HTMLElement {
  const track = el("div", { class: "tl-track" });
  for (const s of spans) {
    const seg = el("span", {
      class: `tl-seg tone-${workerStatusTone(s.status)}${s.open ? " tl-open" : ""}`,
      title: `${s.status} · ${new Date(s.start).toISOString()} · ${formatAgeSince(new Date(s.start).toISOString(), s.end)}`,
    });
    seg.style.left = pct(s.start, from, to);
    seg.style.width = pct(from + (s.end - s.start), from, to);
    track.append(seg);
  }
  if (spans.length === 0) track.append(el("span", { class: "tl-none muted" }, "no timestamps yet"));
  return el(
    "div",
    { class: "tl-row", "data-worker": w.ticket, "data-status": w.status },
    el("span", { class: "tl-label", title: `${w.ticket} · ${w.status}` }, w.ticket),
    track,
  );
}

/** Renders the timeline of `workers` (already filtered) at `now`. */
export function renderTimeline(
  orch: OrchestratorView,
  workers: readonly WorkerView[],
  now: number,
): HTMLElement {
  const sorted = [...workers].sort(
    (a, b) => (a.wave ?? 1e9) - (b.wave ?? 1e9) || compareNatural(a.ticket, b.ticket),
  );
  const spans = sorted.map((w) => workerSpans(w, now));
  const { from, to } = timelineRange(spans, now);
  const body = el("div", { class: "tl-body" });
  const rows: HTMLElement[] = [];
  for (let i = 0; i < sorted.length; i++) rows.push(renderRow(sorted[i]!, spans[i]!, from, to));
  body.append(...rows);
  const edge = el("div", { class: "tl-now", title: "now", "aria-hidden": "true" });
  edge.style.setProperty("--at", String(Math.max(0, Math.min(1, (now - from) / (to - from)))));
  body.append(edge);
  const fromIso = new Date(from).toISOString();
  return el(
    "div",
    { class: "timeline", "data-orch": orch.id, "data-now": String(now) },
    el(
      "div",
      { class: "tl-axis" },
      el("span", { class: "tl-label" }),
      el(
        "span",
        { class: "tl-axis-track" },
        el("span", { class: "tl-from", title: fromIso }, `${formatAgeSince(fromIso, now)} ago`),
        el("span", { class: "tl-to" }, "now"),
      ),
    ),
    body,
  );
}
