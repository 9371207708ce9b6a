// Cost where people look: spend today and the burn rate in the header, and the tickets that cost
// the most.
import type { Snapshot } from "@catalyst/schema";
import { el, replaceChildren } from "./dom.js";
import { formatUsd } from "./format.js";
import { topSpenders } from "./spenders.js";
import { revealWorker } from "./view-needs-you.js";
import { workerCost } from "./view-worker-row.js";

const HOUR_MS = 3_600_000;

/** Local midnight of `now`: "today" is the operator's day. */
export function startOfLocalDay(now: number): Date {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  return d;
}

/** "$12.34 today · $1.20/h": spend since local midnight, and over the last hour. */
export function renderSpend(
  container: HTMLElement,
  snapshot: Snapshot | null,
  spent: (from: Date, to: Date) => number,
  now: number,
): void {
  if (!snapshot) {
    container.replaceChildren();
    return;
  }
  const today = spent(startOfLocalDay(now), new Date(now + 1));
  const lastHour = spent(new Date(now - HOUR_MS), new Date(now + 1));
  container.dataset.today = today.toFixed(6);
  container.dataset.perHour = lastHour.toFixed(6);
  container.title =
    "Spend from the workers' cost changes: today since local midnight, and the burn rate over the last hour";
  container.replaceChildren(
    el("span", { class: "sum sum-spend" }, el("b", null, formatUsd(today)), " today"),
    el("span", { class: "sum sum-burn" }, el("b", null, `${formatUsd(lastHour)}/h`), " burn"),
  );
}

/** The "top spenders" panel: tickets by cost; a click shows the worker's row. Hidden without costs. */
export function renderTopSpenders(container: HTMLElement, snapshot: Snapshot | null, n = 5): void {
  const top = snapshot ? topSpenders(snapshot, n) : [];
  container.hidden = top.length === 0;
  if (top.length === 0) {
    container.replaceChildren();
    return;
  }
  replaceChildren(
    container,
    el("div", { class: "panel-title" }, "Top spenders"),
    el(
      "ol",
      { class: "spenders" },
      ...top.map((w) => {
        const button = el(
          "button",
          {
            type: "button",
            class: "spender",
            "data-orch": w.orchestrator,
            "data-worker": w.ticket,
            title: "show in the fleet",
          },
          el("span", { class: "spender-who" }, w.ticket),
          el("span", { class: "spender-orch" }, w.orchestrator),
          el("b", { class: "spender-cost" }, formatUsd(workerCost(w))),
        );
        button.addEventListener("click", () => revealWorker(w.orchestrator, w.ticket));
        return el("li", null, button);
      }),
    ),
  );
}
