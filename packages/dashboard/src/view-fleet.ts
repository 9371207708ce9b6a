// The fleet: every orchestrator card that passes the filters, rebuilt only where data changed.
import type { OrchestratorView, Snapshot } from "@catalyst/schema";
import { el } from "./dom.js";
import { type Filters, hasFilters, matchesOrchestrator, matchesWorker } from "./filters.js";
import { compareNatural } from "./format.js";
import type { BriefingTarget } from "./view-briefing.js";
import { renderOrchestrator } from "./view-orchestrator-card.js";
import type { TimelineRowCache } from "./view-timeline.js";
import { type RowCache, type RowContext, rowHostKey } from "./view-worker-row.js";

export interface FleetViewInput extends RowContext {
  snapshot: Snapshot | null;
  filters: Filters;
  onClearFilters(): void;
  /** Orchestrators shown as a timeline rather than a table. */
  timelines?: ReadonlySet<string>;
  onView?(orchestrator: string, timeline: boolean): void;
  onBriefing?(target: BriefingTarget): void;
}

/** Counts for the filter bar: workers shown and workers in total. */
export function countVisible(snapshot: Snapshot | null, filters: Filters): { shown: number; total: number } {
  let shown = 0;
  let total = 0;
  for (const orch of snapshot?.orchestrators ?? []) {
    for (const w of Object.values(orch.workers)) {
      total += 1;
      if (matchesWorker(w, orch, filters)) shown += 1;
    }
  }
  return { shown, total };
}

/** The fleet view: renders into one container and reuses the sections of unchanged orchestrators. */
export interface FleetView {
  render(input: FleetViewInput): void;
}

/** Puts exactly `nodes`, in order, into `container`, leaving nodes already in place untouched. */
function reconcileChildren(container: HTMLElement, nodes: readonly HTMLElement[]): void {
  nodes.forEach((node, i) => {
    const at = container.children[i];
    if (at !== node) container.insertBefore(node, at ?? null);
  });
  while (container.children.length > nodes.length) container.lastElementChild!.remove();
}

/**
 * Moves the parts of a freshly rendered card into the card on the page, around its timeline,
 * which is never detached (re-attaching 2,000 rows would restyle them all).
 */
function mergeInto(prev: HTMLElement, fresh: HTMLElement, timeline: HTMLElement): HTMLElement {
  for (const child of Array.from(prev.children)) if (child !== timeline) child.remove();
  let before = true;
  for (const child of Array.from(fresh.children)) {
    if (child.classList.contains("tl-placeholder")) {
      before = false;
      continue;
    }
    if (before) prev.insertBefore(child, timeline);
    else prev.append(child);
  }
  return prev;
}

/**
 * Creates the fleet view. applyDelta keeps unchanged orchestrators as the same objects, so a
 * section is rebuilt only when its orchestrator object or the filters change: a delta for one
 * worker in a 100×20 fleet rebuilds one card, not 2,000 rows. Ages tick by themselves (ticker.ts).
 */
export function createFleetView(container: HTMLElement): FleetView {
  let cache = new WeakMap<OrchestratorView, { filterKey: string; node: HTMLElement }>();
  const rows: RowCache = new WeakMap();
  const timelineRows: TimelineRowCache = new WeakMap();
  /** The section last shown per orchestrator id (timeline cards are updated in place). */
  const byId = new Map<string, HTMLElement>();
  let lastFilterKey = "";

  const showMessage = (node: HTMLElement) => {
    cache = new WeakMap();
    container.replaceChildren(node);
  };

  return {
    render(input) {
      const { snapshot, filters } = input;
      if (!snapshot) {
        showMessage(el("p", { class: "empty big" }, "Waiting for the first snapshot…"));
        return;
      }
      if (snapshot.orchestrators.length === 0) {
        showMessage(
          el(
            "p",
            { class: "empty big" },
            "No orchestrators found. The monitor is watching the catalyst dir and will show them as they appear.",
          ),
        );
        return;
      }
      const filterKey = JSON.stringify(filters);
      if (filterKey !== lastFilterKey) {
        cache = new WeakMap();
        lastFilterKey = filterKey;
      }
      const workerFilter = filters.status.length > 0 || filters.project.length > 0;
      const sections: HTMLElement[] = [];
      const orchestrators = [...snapshot.orchestrators].sort((a, b) => compareNatural(a.id, b.id));
      for (const orch of orchestrators) {
        if (!matchesOrchestrator(orch, filters)) continue;
        const timeline = input.timelines?.has(orch.id) ?? false;
        // A host going stale changes no orchestrator object, only what its card shows.
        const cardKey = `${filterKey}\u0000${timeline ? "timeline" : "table"}\u0000${rowHostKey(orch, input)}`;
        const cached = cache.get(orch);
        if (cached && cached.filterKey === cardKey) {
          sections.push(cached.node);
          continue;
        }
        const visible = Object.values(orch.workers).filter((w) => matchesWorker(w, orch, filters));
        if (workerFilter && visible.length === 0) continue;
        // A timeline already on the page stays where it is and is patched (see mergeInto).
        const prev = timeline ? byId.get(orch.id) : undefined;
        const reuseTimeline = prev?.isConnected
          ? prev.querySelector<HTMLElement>(":scope > .timeline")
          : null;
        const fresh = renderOrchestrator(orch, visible, input, rows, timelineRows, {
          timeline,
          reuseTimeline,
          onView: (id, on) => input.onView?.(id, on),
          onBriefing: (target) => input.onBriefing?.(target),
        });
        const node = prev && reuseTimeline ? mergeInto(prev, fresh, reuseTimeline) : fresh;
        byId.set(orch.id, node);
        cache.set(orch, { filterKey: cardKey, node });
        sections.push(node);
      }
      if (sections.length === 0 && hasFilters(filters)) {
        const clear = el("button", { type: "button", class: "btn" }, "clear filters");
        clear.addEventListener("click", input.onClearFilters);
        showMessage(el("div", { class: "empty big" }, "Nothing matches the filters. ", clear));
        return;
      }
      // A message (empty state) is not a section: clear it before placing sections.
      if (container.firstElementChild && !container.firstElementChild.matches("section.orch"))
        container.replaceChildren();
      reconcileChildren(container, sections);
    },
  };
}
