// The timeline of one orchestrator: each worker a row, each status it went through a coloured span
// from phaseTimestamps, and a "now" edge that open spans run up to. Positions are percentages of
// the orchestrator's time range, set through the CSSOM (no inline style attributes), so the card is
// rebuilt only when data changes or the now edge moves a step (view-fleet.ts).
import type { OrchestratorView, WorkerView } from "@catalyst/schema";
import { el } from "./dom.js";
import { compareNatural, formatAgeSince } from "./format.js";
import { workerStatusTone } from "./status-tone.js";
import { type TimelineSpan, workerSpans } from "./timeline-spans.js";

// Positions are CSS custom properties in seconds since BASE (float-safe small numbers): each span
// carries its start and duration (--s, --d; an open span has no --d and runs to the track's end),
// the card carries --from and --span. So a row depends on its worker alone and is reused across
// renders, and the live now edge is one element that moves (tickTimeline).
const BASE = Date.now();
const sec = (ms: number) => ((ms - BASE) / 1000).toFixed(1);

/** Timeline rows by worker object: a worker that did not change keeps its row. */
export type TimelineRowCache = WeakMap<WorkerView, HTMLElement>;

function renderRow(w: WorkerView, spans: TimelineSpan[]): HTMLElement {
  const track = el("div", { class: "tl-track" });
  for (const s of spans) {
    const since = new Date(s.start).toISOString();
    const seg = el("span", {
      class: `tl-seg tone-${workerStatusTone(s.status)}${s.open ? " tl-open" : ""}`,
      title: `${s.phase === undefined ? "" : `${s.phase}: `}${
        s.open ? `${s.status} since ${since}` : `${s.status} · ${since} · ${formatAgeSince(since, s.end)}`
      }`,
    });
    seg.style.setProperty("--s", sec(s.start));
    if (!s.open) seg.style.setProperty("--d", ((s.end - s.start) / 1000).toFixed(1));
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

/**
 * Moves the now edge of one timeline to `now`. The range (--from, --span) has headroom and changes
 * only when now runs past it; in between only the "future" veil moves, one element, so a tick
 * restyles nothing else. Open spans run to the track's end and the veil hides what is past now.
 */
function tickTimeline(node: HTMLElement, now: number): void {
  const from = Number(node.dataset.from);
  if (!(now <= Number(node.dataset.to))) {
    const to = Math.max(Number(node.dataset.end), now);
    const span = Math.max(60_000, (to - from) * 1.25);
    node.dataset.to = String(from + span);
    node.style.setProperty("--from", sec(from));
    node.style.setProperty("--span", (span / 1000).toFixed(1));
  }
  const veil = node.querySelector<HTMLElement>(".tl-now");
  const at = (now - from) / (Number(node.dataset.to) - from);
  veil?.style.setProperty("--at", Math.max(0, Math.min(1, at)).toFixed(4));
  const fromLabel = node.querySelector<HTMLElement>(".tl-from");
  if (fromLabel) fromLabel.textContent = `${formatAgeSince(new Date(from).toISOString(), now)} ago`;
}

/** Moves the now edge of every timeline under `root` (called by the 1 s ticker). */
export function tickTimelines(root: ParentNode, now: number): void {
  for (const node of Array.from(root.querySelectorAll<HTMLElement>(".timeline[data-from]")))
    tickTimeline(node, now);
}

/** Renders the timeline of `workers` (already filtered) at `now`, reusing unchanged rows. */
export function renderTimeline(
  orch: OrchestratorView,
  workers: readonly WorkerView[],
  now: number,
  rows: TimelineRowCache = new WeakMap(),
  reuse: HTMLElement | null = null,
): HTMLElement {
  const sorted = [...workers].sort(
    (a, b) => (a.wave ?? 1e9) - (b.wave ?? 1e9) || compareNatural(a.ticket, b.ticket),
  );
  let from = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  const body = el("div", { class: "tl-body" });
  const nodes: HTMLElement[] = [];
  for (const w of sorted) {
    let row = rows.get(w);
    const spans = workerSpans(w, now);
    for (const s of spans) {
      if (s.start < from) from = s.start;
      if (!s.open && s.end > end) end = s.end;
    }
    if (!row) {
      row = renderRow(w, spans);
      rows.set(w, row);
    }
    nodes.push(row);
  }
  if (!Number.isFinite(from)) from = now - 60_000;
  const reusedBody = reuse?.querySelector<HTMLElement>(".tl-body");
  if (reuse && reusedBody) {
    // Patch the timeline already on the page: only rows whose worker changed are swapped, so a
    // delta costs the style and layout of those rows, not of all of them.
    const edge = reusedBody.querySelector(".tl-now");
    // Drop the rows that go first, so the ones that stay are already in order and never move.
    const keep = new Set<Element>(nodes);
    for (const child of Array.from(reusedBody.children))
      if (!keep.has(child) && child !== edge) child.remove();
    nodes.forEach((node, i) => {
      const at = reusedBody.children[i];
      if (at !== node) reusedBody.insertBefore(node, at ?? null);
    });
    while (reusedBody.children.length > nodes.length) reusedBody.lastElementChild!.remove();
    if (edge) reusedBody.append(edge);
    if (reuse.dataset.from !== String(from)) delete reuse.dataset.to; // the range starts again
    reuse.dataset.from = String(from);
    reuse.dataset.end = String(end);
    tickTimeline(reuse, now);
    return reuse;
  }
  body.append(
    ...nodes,
    el("div", { class: "tl-now", title: "now: later is the future", "aria-hidden": "true" }),
  );
  const node = el(
    "div",
    { class: "timeline", "data-orch": orch.id, "data-from": String(from), "data-end": String(end) },
    el(
      "div",
      { class: "tl-axis" },
      el("span", { class: "tl-label" }),
      el(
        "span",
        { class: "tl-axis-track" },
        el("span", { class: "tl-from", title: new Date(from).toISOString() }),
      ),
    ),
    body,
  );
  tickTimeline(node, now);
  return node;
}
