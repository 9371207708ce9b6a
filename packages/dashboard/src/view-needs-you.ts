// The "needs you" panel, shown first: the snapshot's derived list (and `needs-you` deltas).
// Clicking an item scrolls to its worker row and flashes it, as the reference UI did.
import type { CorruptMarker, NeedsYouItem, Snapshot } from "@catalyst/schema";
import { el, replaceChildren } from "./dom.js";
import { type Filters, matchesNeedsYou } from "./filters.js";
import { needsYouTone } from "./status-tone.js";
import { ageCell } from "./view-cells.js";

const REASON_LABEL: Record<string, string> = {
  attention: "attention",
  failed: "failed",
  dead: "process dead",
  stalled: "stalled",
  corrupt: "unreadable file",
  budget: "over budget",
};

/** Scrolls to the row of a worker (or the orchestrator card) and flashes it. */
export function revealWorker(orchestrator: string, worker: string | null): void {
  const target = Array.from(
    document.querySelectorAll<HTMLElement>(worker ? "tr.worker" : "section.orch"),
  ).find((node) => node.dataset.orch === orchestrator && (worker === null || node.dataset.worker === worker));
  if (!target) return;
  target.scrollIntoView({ behavior: "smooth", block: "center" });
  target.classList.remove("flash");
  // Restart the animation even when the row is already flashing.
  void target.offsetWidth;
  target.classList.add("flash");
}

function renderItem(item: NeedsYouItem, now: number): HTMLElement {
  const button = el(
    "button",
    {
      type: "button",
      class: "needs-item",
      "data-reason": item.reason,
      "data-orch": item.orchestrator,
      "data-worker": item.worker ?? "",
      title: "show in the fleet",
    },
    el("span", { class: `chip tone-${needsYouTone(item.reason)}` }, REASON_LABEL[item.reason] ?? item.reason),
    el(
      "span",
      { class: "needs-who" },
      item.worker ?? (item.reason === "budget" ? "fleet" : "orchestrator"),
      el("span", { class: "needs-orch" }, item.orchestrator),
    ),
    el("span", { class: "needs-msg", title: item.message }, item.message),
    item.since ? el("span", { class: "needs-since" }, ageCell(item.since, now, false), " ago") : null,
  );
  button.addEventListener("click", () => revealWorker(item.orchestrator, item.worker));
  return button;
}

/** A file that belongs to no worker (the global state.json) could not be read: not clickable. */
function renderSourceError(marker: CorruptMarker, now: number): HTMLElement {
  const message = `${marker.file}: ${marker.reason}`;
  return el(
    "div",
    { class: "needs-item needs-source", "data-reason": "source" },
    el("span", { class: `chip tone-${needsYouTone("corrupt")}` }, "unreadable file"),
    el(
      "span",
      { class: "needs-who" },
      "global state",
      el("span", { class: "needs-orch" }, "every orchestrator"),
    ),
    el("span", { class: "needs-msg", title: message }, message),
    el("span", { class: "needs-since" }, ageCell(marker.since, now, false), " ago"),
  );
}

/** Renders the panel; hidden items (filtered out) are counted, not shown. */
export function renderNeedsYou(
  container: HTMLElement,
  snapshot: Snapshot | null,
  filters: Filters,
  now: number,
): void {
  const all = snapshot?.needsYou ?? [];
  const items = all.filter((item) => matchesNeedsYou(item, snapshot?.orchestrators ?? [], filters));
  // Source errors concern the whole fleet, so filters never hide them.
  const sourceErrors = snapshot?.sourceErrors ?? [];
  const shown = items.length + sourceErrors.length;
  container.dataset.count = String(shown);
  const title = el(
    "h2",
    { class: "panel-title" },
    "Needs you",
    el("span", { class: `count${shown > 0 ? " count-hot" : ""}` }, String(shown)),
  );
  if (!snapshot) {
    container.replaceChildren(title, el("p", { class: "muted" }, "waiting for data…"));
    return;
  }
  const hidden = all.length - items.length;
  replaceChildren(
    container,
    title,
    shown === 0
      ? hidden > 0
        ? el("p", { class: "muted" }, "Nothing here for the current filters.")
        : el("p", { class: "all-clear" }, "All clear: nothing needs you right now.")
      : el(
          "div",
          { class: "needs-list" },
          ...sourceErrors.map((marker) => renderSourceError(marker, now)),
          ...items.map((item) => renderItem(item, now)),
        ),
    hidden > 0 ? el("p", { class: "hidden-note" }, `${hidden} more hidden by filters`) : null,
  );
}
