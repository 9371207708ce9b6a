// The live event stream: lines made from deltas, newest first, capped by the store.
import type { OrchestratorView } from "@catalyst/schema";
import { el } from "./dom.js";
import type { FeedEntry } from "./event-feed.js";
import { type Filters, matchesNeedsYou } from "./filters.js";
import { formatClock } from "./format.js";

export interface EventsViewInput {
  feed: readonly FeedEntry[];
  filters: Filters;
  /** For the project filter (an orchestrator's projectKey). */
  orchestrators: readonly OrchestratorView[];
  /** Whether raw `log-event` lines are shown (they repeat what the other lines say). */
  showLog: boolean;
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

export interface EventsView {
  render(input: EventsViewInput): void;
}

/**
 * Creates the panel inside `container`. The header is built once (so the toggle keeps focus) and
 * each line's node is kept with its entry, so a burst of deltas adds lines instead of rebuilding 200.
 */
export function createEventsView(container: HTMLElement, onToggleLog: (show: boolean) => void): EventsView {
  const toggle = el("input", { type: "checkbox", id: "show-log" });
  toggle.addEventListener("change", () => onToggleLog(toggle.checked));
  const count = el("span", { class: "count" }, "0");
  const empty = el("p", { class: "muted empty" }, "No events yet. Changes appear here as they happen.");
  const list = el("ol", { class: "feed" });
  container.replaceChildren(
    el(
      "header",
      { class: "panel-head" },
      el("h2", { class: "panel-title" }, "Live events", count),
      el("label", { class: "toggle", for: "show-log" }, toggle, " log lines"),
    ),
    empty,
    list,
  );
  const nodes = new WeakMap<FeedEntry, HTMLElement>();

  return {
    render(input) {
      toggle.checked = input.showLog;
      const lines = input.feed.filter(
        (e) =>
          (input.showLog || e.kind !== "log") &&
          (e.orchestrator === null ||
            matchesNeedsYou(
              { orchestrator: e.orchestrator, worker: e.worker },
              input.orchestrators,
              input.filters,
            )),
      );
      count.textContent = String(lines.length);
      empty.hidden = lines.length > 0;
      const wanted = lines.map((entry) => {
        let node = nodes.get(entry);
        if (!node) {
          node = renderEntry(entry);
          nodes.set(entry, node);
        }
        return node;
      });
      wanted.forEach((node, i) => {
        const at = list.children[i];
        if (at !== node) list.insertBefore(node, at ?? null);
      });
      while (list.children.length > wanted.length) list.lastElementChild!.remove();
    },
  };
}
