// The card of one orchestrator: title, progress, wave, cost, elapsed, the wave strip, its workers.
import type { OrchestratorView, WorkerView } from "@catalyst/schema";
import { el } from "./dom.js";
import { formatAgeSince, formatTokens, formatUsd, parseTime } from "./format.js";
import { groupStatusTone, isFinished, workerStatusTone } from "./status-tone.js";
import type { BriefingTarget } from "./view-briefing.js";
import { briefingLabel } from "./view-briefing.js";
import { ageCell, chip } from "./view-cells.js";
import { renderTimeline, type TimelineRowCache } from "./view-timeline.js";
import {
  hostStaleChip,
  onStaleHost,
  type RowCache,
  type RowContext,
  renderWorkerTable,
  workerCost,
  workerTokens,
} from "./view-worker-row.js";

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

const PIPELINE_COLUMNS = ["Triage", "Research", "Plan", "Implement", "Validate", "PR", "Done"];

/**
 * The execution-core board (FORMATS-TODAY §3.4): one column per board column the user knows from
 * Catalyst's own board, each with its tickets as pills coloured by status. Null for other groups.
 */
function renderPipelineBoard(orch: OrchestratorView): HTMLElement | null {
  const workers = Object.values(orch.workers).filter((w) => w.pipeline);
  if (workers.length === 0) return null;
  return el(
    "div",
    { class: "pipeline-board", "aria-label": "execution-core pipeline" },
    ...PIPELINE_COLUMNS.map((column) => {
      const here = workers.filter((w) => w.pipeline?.column === column);
      return el(
        "div",
        { class: "pipeline-col", "data-column": column },
        el(
          "div",
          { class: "pipeline-col-head" },
          column,
          el("span", { class: "wave-count" }, ` ${here.length}`),
        ),
        el(
          "div",
          { class: "wave-pills" },
          ...here.slice(0, 40).map((w) =>
            el(
              "span",
              {
                class: `pill pill-ticket tone-${workerStatusTone(w.status)}`,
                title: `${w.ticket} · ${w.pipeline?.phase} · ${w.pipeline?.phaseStatus}${w.pipeline?.attention ? ` · ${w.pipeline.attention}` : ""}`,
              },
              w.ticket,
            ),
          ),
          here.length > 40 ? el("span", { class: "muted" }, ` +${here.length - 40}`) : null,
        ),
      );
    }),
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

/** What a card can ask of the page: its view mode, and opening a briefing. */
export interface CardActions {
  /** True when this orchestrator shows its timeline instead of the table. */
  timeline: boolean;
  onView(orchestrator: string, timeline: boolean): void;
  onBriefing(target: BriefingTarget): void;
  /**
   * The timeline of this orchestrator already on the page: it is patched in place and the card
   * holds a `.tl-placeholder` where it goes (view-fleet.ts moves the new parts around it).
   */
  reuseTimeline?: HTMLElement | null;
}

function renderCardTools(orch: OrchestratorView, actions: CardActions): HTMLElement {
  const toggle = (label: string, timeline: boolean) => {
    const on = actions.timeline === timeline;
    const b = el(
      "button",
      {
        type: "button",
        class: `seg-btn${on ? " seg-on" : ""}`,
        "aria-pressed": on ? "true" : "false",
        "data-view": label.toLowerCase(),
      },
      label,
    );
    b.addEventListener("click", () => actions.onView(orch.id, timeline));
    return b;
  };
  const briefings = (orch.briefings ?? []).map((b) => {
    const button = el(
      "button",
      {
        type: "button",
        class: "btn btn-quiet briefing-btn",
        "data-briefing": b.wave === null ? "dashboard" : String(b.wave),
      },
      b.wave === null ? "DASHBOARD.md" : `W${b.wave} briefing →`,
    );
    button.title = `open ${briefingLabel(b)}`;
    button.addEventListener("click", () =>
      actions.onBriefing({ orchestrator: orch.id, briefings: orch.briefings, wave: b.wave }),
    );
    return button;
  });
  return el(
    "div",
    { class: "orch-tools" },
    el(
      "span",
      { class: "seg-group", role: "group", "aria-label": "view" },
      toggle("Table", false),
      toggle("Timeline", true),
    ),
    ...briefings,
  );
}

function placeTimeline(node: HTMLElement, actions: CardActions): HTMLElement {
  return node === actions.reuseTimeline ? el("div", { class: "tl-placeholder" }) : node;
}

/** Renders the card with the given visible workers (the filters already applied). */
export function renderOrchestrator(
  orch: OrchestratorView,
  visible: WorkerView[],
  input: RowContext,
  rows: RowCache,
  timelineRows: TimelineRowCache,
  actions: CardActions,
): HTMLElement {
  const all = Object.values(orch.workers);
  const hostStale = onStaleHost(orch, input);
  const meta = [
    orch.projectKey,
    orch.repository,
    orch.workspace !== "default" ? orch.workspace : null,
  ].filter((m): m is string => !!m);
  return el(
    "section",
    {
      class: `orch${hostStale ? " on-stale-host" : ""}`,
      "data-orch": orch.id,
      "data-host": orch.host,
      "aria-label": `orchestrator ${orch.id}`,
    },
    el(
      "header",
      { class: "orch-head" },
      el(
        "div",
        { class: "orch-title" },
        el("h2", { title: orch.path ?? orch.id }, orch.id),
        orch.host !== undefined
          ? el("span", { class: "orch-host", title: `runs on host ${orch.host}` }, `on ${orch.host}`)
          : null,
        hostStale ? hostStaleChip(orch.host ?? "") : null,
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
    renderCardTools(orch, actions),
    renderWaveStrip(orch),
    renderPipelineBoard(orch),
    visible.length > 0
      ? actions.timeline
        ? placeTimeline(
            renderTimeline(orch, visible, input.now, timelineRows, actions.reuseTimeline ?? null),
            actions,
          )
        : renderWorkerTable(orch, visible, input, rows)
      : el("p", { class: "empty" }, all.length === 0 ? "No workers yet." : "No workers match the filters."),
    visible.length < all.length && visible.length > 0
      ? el("p", { class: "hidden-note" }, `${all.length - visible.length} workers hidden by filters`)
      : null,
  );
}
