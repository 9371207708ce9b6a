// Orchestrator cards (progress, wave, cost) and their worker grids.
import type { OrchestratorView, Snapshot, WorkerView } from "@catalyst/schema";
import { el, externalLink } from "./dom.js";
import { type Filters, hasFilters, matchesOrchestrator, matchesWorker } from "./filters.js";
import { compareNatural, formatAgeSince, formatTokens, formatUsd, parseTime } from "./format.js";
import { ciTone, groupStatusTone, isFinished, workerStatusTone } from "./status-tone.js";
import { workerKey } from "./store.js";

/** How long a changed row stays highlighted (styles.css `.changed` animation length). */
export const HIGHLIGHT_MS = 2500;

/** A worker counts as stale when its last update is older than this (the reference UI: 10 min). */
export const STALE_AFTER_MS = 10 * 60_000;

const PHASES = 6;

export interface FleetViewInput {
  snapshot: Snapshot | null;
  filters: Filters;
  changedAt: ReadonlyMap<string, number>;
  now: number;
  onClearFilters(): void;
}

/** An element whose text the age ticker refreshes every second (see ticker.ts). */
export function ageCell(iso: string | null, now: number, staleWhenOld: boolean): HTMLElement {
  const at = parseTime(iso);
  const node = el("span", { class: "age", title: iso ?? "no timestamp" }, formatAgeSince(iso, now));
  if (at !== null) {
    node.dataset.ageSince = String(at);
    if (staleWhenOld) {
      node.dataset.staleAfter = String(STALE_AFTER_MS);
      node.title = `${iso} (stale after ${STALE_AFTER_MS / 60_000} min without an update)`;
    }
    if (staleWhenOld && now - at > STALE_AFTER_MS) node.classList.add("stale");
  }
  return node;
}

function workerCost(w: WorkerView): number {
  return w.cost?.costUSD ?? 0;
}

function workerTokens(w: WorkerView): number {
  const c = w.cost;
  return c ? (c.inputTokens ?? 0) + (c.outputTokens ?? 0) + (c.cacheReadTokens ?? 0) : 0;
}

function chip(text: string, tone: string, title?: string): HTMLElement {
  return el("span", { class: `chip tone-${tone}`, title }, text);
}

function renderProgress(orch: OrchestratorView): HTMLElement {
  const { total, done, failed, active } = orch.progress;
  const pct = (n: number) => (total > 0 ? `${((n / total) * 100).toFixed(1)}%` : "0%");
  const bar = el(
    "div",
    { class: "progress", role: "img", "aria-label": `${done} of ${total} done` },
    el("span", { class: "seg seg-done" }),
    el("span", { class: "seg seg-failed" }),
    el("span", { class: "seg seg-active" }),
  );
  const [segDone, segFailed, segActive] = Array.from(bar.children) as HTMLElement[];
  segDone!.style.width = pct(done);
  segFailed!.style.width = pct(failed);
  segActive!.style.width = pct(active);
  return el(
    "div",
    { class: "stat stat-progress" },
    el("div", { class: "stat-label" }, "Progress"),
    el("div", { class: "stat-value" }, `${done}/${total}`, el("span", { class: "stat-unit" }, " done")),
    bar,
    el(
      "div",
      { class: "stat-sub" },
      `${active} active`,
      failed > 0 ? el("span", { class: "text-failed" }, ` · ${failed} failed`) : null,
    ),
  );
}

function renderWaveStat(orch: OrchestratorView): HTMLElement {
  const current = orch.waves.find((w) => w.wave === orch.currentWave);
  return el(
    "div",
    { class: "stat stat-wave" },
    el("div", { class: "stat-label" }, "Wave"),
    el(
      "div",
      { class: "stat-value" },
      `${orch.currentWave || "—"}`,
      el("span", { class: "stat-unit" }, ` / ${orch.totalWaves || orch.waves.length || "—"}`),
    ),
    el("div", { class: "stat-sub" }, current?.status ?? orch.status ?? ""),
  );
}

function renderCostStat(orch: OrchestratorView, workers: WorkerView[]): HTMLElement {
  // The reference UI took the larger of the per-worker and the aggregate figure (FORMATS §5.13).
  const fromWorkers = workers.reduce((sum, w) => sum + workerCost(w), 0);
  const total = Math.max(fromWorkers, orch.usage?.costUSD ?? 0);
  const tokens = workers.reduce((sum, w) => sum + workerTokens(w), 0);
  const done = workers.filter((w) => isFinished(w.status)).length;
  return el(
    "div",
    { class: "stat stat-cost" },
    el("div", { class: "stat-label" }, "Cost"),
    el("div", { class: "stat-value" }, total > 0 ? formatUsd(total) : "—"),
    el(
      "div",
      { class: "stat-sub" },
      total > 0 ? `${formatTokens(tokens)} tokens · ` : "no cost data yet · ",
      `${workers.length} workers (${done} finished)`,
    ),
  );
}

function renderElapsedStat(orch: OrchestratorView, workers: WorkerView[], now: number): HTMLElement {
  const starts = [orch.startedAt, ...workers.map((w) => w.startedAt)]
    .map(parseTime)
    .filter((t): t is number => t !== null);
  const start = starts.length > 0 ? Math.min(...starts) : null;
  const iso = start === null ? null : new Date(start).toISOString();
  const end = parseTime(orch.completedAt);
  return el(
    "div",
    { class: "stat stat-elapsed" },
    el("div", { class: "stat-label" }, end === null ? "Running for" : "Took"),
    el("div", { class: "stat-value" }, end === null ? ageCell(iso, now, false) : formatAgeSince(iso, end)),
    el(
      "div",
      { class: "stat-sub" },
      orch.updatedAt ? "updated " : "",
      orch.updatedAt ? ageCell(orch.updatedAt, now, false) : null,
      orch.updatedAt ? " ago" : "",
    ),
  );
}

function renderWaveStrip(orch: OrchestratorView): HTMLElement | null {
  if (orch.waves.length === 0) return null;
  return el(
    "div",
    { class: "wave-strip" },
    ...orch.waves.map((wave) => {
      const workers = wave.tickets.map((t) => orch.workers[t]);
      const finished = workers.filter((w) => w && isFinished(w.status)).length;
      return el(
        "div",
        { class: `wave${wave.wave === orch.currentWave ? " wave-current" : ""}`, "data-wave": wave.wave },
        el("span", { class: "wave-name" }, `W${wave.wave}`),
        chip(wave.status ?? "—", groupStatusTone(wave.status)),
        el(
          "span",
          { class: "wave-pills" },
          ...wave.tickets.map((t) => {
            const w = orch.workers[t];
            return el("span", {
              class: `pill tone-${w ? workerStatusTone(w.status) : "unknown"}`,
              title: `${t} · ${w?.status ?? "no signal"}`,
            });
          }),
        ),
        el("span", { class: "wave-count" }, `${finished}/${wave.tickets.length}`),
      );
    }),
  );
}

function renderPhase(w: WorkerView): HTMLElement {
  const phase = Math.max(0, Math.min(PHASES, w.phase));
  const tone = workerStatusTone(w.status);
  const segs = Array.from({ length: PHASES }, (_, i) =>
    el("span", { class: i < phase ? `ph on tone-${tone}` : "ph" }),
  );
  return el(
    "div",
    { class: "phase", title: `phase ${w.phase} of ${PHASES}` },
    el("span", { class: "phase-bar" }, ...segs),
    el("span", { class: "phase-num" }, `${w.phase}`),
  );
}

function renderPr(w: WorkerView): HTMLElement {
  const pr = w.pr;
  if (!pr) return el("span", { class: "muted" }, "—");
  const link = externalLink(pr.url, `#${pr.number}`, { class: `pr-link pr-${pr.state}` });
  const notes: HTMLElement[] = [];
  if (pr.state === "merged") notes.push(el("span", { class: "pr-note tone-text-done" }, "merged"));
  else if (pr.state === "closed") notes.push(el("span", { class: "pr-note tone-text-failed" }, "closed"));
  if (pr.isDraft) notes.push(el("span", { class: "pr-note muted" }, "draft"));
  const ciShown =
    pr.ciStatus && pr.ciStatus !== "unknown" && !(pr.ciStatus === "merged" && pr.state === "merged");
  const ci = ciShown ? chip(`CI ${pr.ciStatus}`, ciTone(pr.ciStatus)) : null;
  return el(
    "div",
    { class: "pr", title: pr.title ?? pr.url ?? "" },
    link,
    ci,
    ...notes,
    pr.stale ? el("span", { class: "pr-note muted", title: "last GitHub poll failed" }, "stale") : null,
  );
}

function renderProcess(w: WorkerView): HTMLElement {
  const pid = w.pid === null ? "" : ` ${w.pid}`;
  if (w.alive === true)
    return el(
      "span",
      { class: "proc proc-alive", title: "process responds to kill -0" },
      el("span", { class: "dot" }),
      `alive${pid}`,
    );
  if (w.alive === false)
    return el(
      "span",
      { class: "proc proc-dead", title: "process does not respond" },
      el("span", { class: "dot" }),
      `dead${pid}`,
    );
  if (w.pid === null)
    return el(
      "span",
      { class: "proc proc-unknown", title: "no pid recorded" },
      el("span", { class: "dot" }),
      "—",
    );
  // The pid of a finished worker is history: keep it in the tooltip, not in the cell.
  const why = isFinished(w.status) ? "exited" : "unknown";
  return el(
    "span",
    { class: "proc proc-unknown", title: `${why}: pid ${w.pid}` },
    el("span", { class: "dot" }),
    why,
  );
}

function renderTicketCell(w: WorkerView): HTMLElement {
  const sub = w.title ?? w.label;
  return el(
    "td",
    { class: "col-ticket" },
    el(
      "div",
      { class: "ticket-line" },
      el("span", { class: "ticket" }, w.ticket),
      w.needsAttention ? chip("needs you", "stalled", w.attentionReason ?? "needs attention") : null,
      w.corrupt
        ? chip(
            "⚠ corrupt",
            "failed",
            `${w.corrupt.file}: ${w.corrupt.reason} (since ${w.corrupt.since}); showing the last good read`,
          )
        : null,
    ),
    sub ? el("div", { class: "ticket-sub", title: sub }, sub) : null,
    w.error ? el("div", { class: "ticket-error", title: w.error }, w.error) : null,
  );
}

function renderWorkerRow(orch: OrchestratorView, w: WorkerView, input: FleetViewInput): HTMLElement {
  const tone = workerStatusTone(w.status);
  const row = el(
    "tr",
    {
      class: `worker tone-row-${tone}`,
      "data-orch": orch.id,
      "data-worker": w.ticket,
      "data-status": w.status,
    },
    el("td", { class: "col-wave" }, w.wave === null ? "—" : `W${w.wave}`),
    renderTicketCell(w),
    el("td", { class: "col-status" }, chip(w.status, tone)),
    el("td", { class: "col-phase" }, renderPhase(w)),
    el("td", { class: "col-pr" }, renderPr(w)),
    el("td", { class: "col-proc" }, renderProcess(w)),
    el("td", { class: "col-cost" }, w.cost ? formatUsd(workerCost(w)) : el("span", { class: "muted" }, "—")),
    el("td", { class: "col-age" }, ageCell(w.updatedAt, input.now, !isFinished(w.status))),
  );
  if (w.corrupt) row.classList.add("is-corrupt");
  if (w.alive === false && !isFinished(w.status)) row.classList.add("is-dead");
  const changed = input.changedAt.get(workerKey(orch.id, w.ticket));
  if (changed !== undefined && input.now - changed < HIGHLIGHT_MS) {
    // Rows are rebuilt on every change; a negative delay continues the animation where it was.
    row.classList.add("changed");
    row.dataset.changedAt = String(changed);
    row.style.animationDelay = `-${input.now - changed}ms`;
  }
  return row;
}

/** Row nodes by worker object: a worker that did not change keeps its row (see createFleetView). */
type RowCache = WeakMap<WorkerView, HTMLElement>;

function rowFor(orch: OrchestratorView, w: WorkerView, input: FleetViewInput, rows: RowCache): HTMLElement {
  const cached = rows.get(w);
  const changed = input.changedAt.get(workerKey(orch.id, w.ticket));
  // A row still highlighting is rebuilt, so its animation delay matches the time now.
  if (cached && (changed === undefined || input.now - changed >= HIGHLIGHT_MS)) return cached;
  const row = renderWorkerRow(orch, w, input);
  rows.set(w, row);
  return row;
}

function sortWorkers(workers: WorkerView[]): WorkerView[] {
  return [...workers].sort((a, b) => (a.wave ?? 1e9) - (b.wave ?? 1e9) || compareNatural(a.ticket, b.ticket));
}

function renderWorkerTable(
  orch: OrchestratorView,
  workers: WorkerView[],
  input: FleetViewInput,
  rows: RowCache,
): HTMLElement {
  const head = ["Wave", "Ticket", "Status", "Phase", "PR · CI", "Process", "Cost", "Updated"];
  return el(
    "table",
    { class: "workers" },
    el("thead", null, el("tr", null, ...head.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", null, ...sortWorkers(workers).map((w) => rowFor(orch, w, input, rows))),
  );
}

function renderOrchestrator(
  orch: OrchestratorView,
  visible: WorkerView[],
  input: FleetViewInput,
  rows: RowCache,
): HTMLElement {
  const all = Object.values(orch.workers);
  const meta = [
    orch.projectKey,
    orch.repository,
    orch.workspace !== "default" ? orch.workspace : null,
  ].filter((m): m is string => !!m);
  return el(
    "section",
    { class: "orch", "data-orch": orch.id, "aria-label": `orchestrator ${orch.id}` },
    el(
      "header",
      { class: "orch-head" },
      el(
        "div",
        { class: "orch-title" },
        el("h2", { title: orch.path ?? orch.id }, orch.id),
        orch.status ? chip(orch.status, groupStatusTone(orch.status)) : null,
        orch.corrupt
          ? chip("⚠ state.json unreadable", "failed", `${orch.corrupt.file}: ${orch.corrupt.reason}`)
          : null,
        meta.length > 0 ? el("span", { class: "orch-meta" }, meta.join(" · ")) : null,
      ),
      el(
        "div",
        { class: "orch-stats" },
        renderProgress(orch),
        renderWaveStat(orch),
        renderCostStat(orch, all),
        renderElapsedStat(orch, all, input.now),
      ),
    ),
    renderWaveStrip(orch),
    visible.length > 0
      ? renderWorkerTable(orch, visible, input, rows)
      : el("p", { class: "empty" }, all.length === 0 ? "No workers yet." : "No workers match the filters."),
    visible.length < all.length && visible.length > 0
      ? el("p", { class: "hidden-note" }, `${all.length - visible.length} workers hidden by filters`)
      : null,
  );
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
 * Creates the fleet view. applyDelta keeps unchanged orchestrators as the same objects, so a
 * section is rebuilt only when its orchestrator object or the filters change: a delta for one
 * worker in a 100×20 fleet rebuilds one card, not 2,000 rows. Ages tick by themselves (ticker.ts).
 */
export function createFleetView(container: HTMLElement): FleetView {
  let cache = new WeakMap<OrchestratorView, { filterKey: string; node: HTMLElement }>();
  const rows: RowCache = new WeakMap();
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
        const cached = cache.get(orch);
        if (cached && cached.filterKey === filterKey) {
          sections.push(cached.node);
          continue;
        }
        const visible = Object.values(orch.workers).filter((w) => matchesWorker(w, orch, filters));
        if (workerFilter && visible.length === 0) continue;
        const node = renderOrchestrator(orch, visible, input, rows);
        cache.set(orch, { filterKey, node });
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
