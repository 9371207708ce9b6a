// The live event stream: lines made from deltas, newest first, capped by the store.
import { el } from "./dom.js";
import type { FeedEntry } from "./event-feed.js";
import { type Filters, matchesOrchestrator } from "./filters.js";
import { formatClock } from "./format.js";

export interface EventsViewInput {
  feed: readonly FeedEntry[];
  filters: Filters;
  /** Whether raw `log-event` lines are shown (they repeat what the other lines say). */
  showLog: boolean;
  onToggleLog(show: boolean): void;
}

function renderEntry(entry: FeedEntry): HTMLElement {
  return el(
    "li",
    { class: `feed-item kind-${entry.kind}`, "data-kind": entry.kind, "data-id": entry.id || null },
    el("time", { class: "feed-time", datetime: entry.at, title: entry.at }, formatClock(entry.at)),
    el("span", { class: `chip tone-${entry.tone} feed-kind` }, entry.kind),
    el(
      "span",
      { class: "feed-body" },
      entry.worker || entry.orchestrator
        ? el(
            "span",
            { class: "feed-who", title: entry.orchestrator ?? "" },
            entry.worker ?? entry.orchestrator ?? "",
          )
        : null,
      el("span", { class: "feed-text" }, entry.text),
    ),
  );
}

/** Renders the panel: a header with the log toggle, then the lines that pass the orch filter. */
export function renderEvents(container: HTMLElement, input: EventsViewInput): void {
  const lines = input.feed.filter(
    (e) =>
      (input.showLog || e.kind !== "log") &&
      (e.orchestrator === null || matchesOrchestrator({ id: e.orchestrator }, input.filters)),
  );
  const toggle = el("input", { type: "checkbox", id: "show-log", checked: input.showLog });
  toggle.addEventListener("change", () => input.onToggleLog(toggle.checked));
  container.replaceChildren(
    el(
      "header",
      { class: "panel-head" },
      el("h2", { class: "panel-title" }, "Live events", el("span", { class: "count" }, String(lines.length))),
      el("label", { class: "toggle", for: "show-log" }, toggle, " log lines"),
    ),
    lines.length === 0
      ? el("p", { class: "muted empty" }, "No events yet. Changes appear here as they happen.")
      : el("ol", { class: "feed" }, ...lines.map(renderEntry)),
  );
}
