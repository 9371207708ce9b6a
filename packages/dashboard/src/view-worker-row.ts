// One row of the worker grid: wave, ticket, status, phase, PR + CI, process, cost, age.
import type { OrchestratorView, WorkerView } from "@catalyst/schema";
import { el, externalLink } from "./dom.js";
import { compareNatural, formatUsd } from "./format.js";
import { ciTone, isFinished, workerStatusTone } from "./status-tone.js";
import { workerKey } from "./store.js";
import { ageCell, chip } from "./view-cells.js";

/** How long a changed row stays highlighted (styles.css `.changed` animation length). */
export const HIGHLIGHT_MS = 2500;

const PHASES = 6;

/** What a row needs besides its worker: when workers changed, and the time now. */
export interface RowContext {
  changedAt: ReadonlyMap<string, number>;
  now: number;
  /**
   * The stale hosts of a monitor that fuses several machines; absent (or null) on a single-host
   * monitor, where the table has no Host column.
   */
  staleHosts?: ReadonlySet<string> | null;
}

/** True when the orchestrator runs on a host that the monitor marked stale. */
export function onStaleHost(
  orch: Pick<OrchestratorView, "host">,
  input: Pick<RowContext, "staleHosts">,
): boolean {
  return orch.host !== undefined && (input.staleHosts?.has(orch.host) ?? false);
}

/** The "host stale" chip: the worker keeps its last known state, it is not dead. */
export function hostStaleChip(host: string): HTMLElement {
  return chip(
    "host stale",
    "stalled",
    `${host} sends no heartbeat: showing the last known state, not a dead worker`,
  );
}

export function workerCost(w: WorkerView): number {
  return w.cost?.costUSD ?? 0;
}

export function workerTokens(w: WorkerView): number {
  const c = w.cost;
  return c ? (c.inputTokens ?? 0) + (c.outputTokens ?? 0) + (c.cacheReadTokens ?? 0) : 0;
}

// The board's columns (FORMATS-TODAY R3.12); an execution-core ticket's `phase` is the column index.
const PIPELINE_COLUMNS = ["Triage", "Research", "Plan", "Implement", "Validate", "PR", "Done"];

function renderPipelinePhase(w: WorkerView, p: NonNullable<WorkerView["pipeline"]>): HTMLElement {
  const tone = workerStatusTone(w.status);
  const at = PIPELINE_COLUMNS.indexOf(p.column);
  const segs = PIPELINE_COLUMNS.map((column, i) =>
    el("span", { class: i <= at ? `ph on tone-${tone}` : "ph", title: column }),
  );
  return el(
    "div",
    { class: "phase phase-pipeline", title: `${p.column}: phase ${p.phase} (${p.phaseStatus})` },
    el("span", { class: "phase-bar" }, ...segs),
    el("span", { class: "phase-num" }, p.column),
    el("span", { class: "phase-name muted" }, ` ${p.phase}`),
  );
}

function renderPhase(w: WorkerView): HTMLElement {
  if (w.pipeline) return renderPipelinePhase(w, w.pipeline);
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

// An execution-core phase's liveness is its Claude Code job (FORMATS-TODAY §3.5), never a pid.
function renderJob(p: NonNullable<WorkerView["pipeline"]>): HTMLElement {
  const id = p.jobId === null ? "" : ` ${p.jobId}`;
  if (p.job === "alive")
    return el(
      "span",
      { class: "proc proc-alive", title: `job${id} is working` },
      el("span", { class: "dot" }),
      `alive${id}`,
    );
  if (p.job === "dead")
    return el(
      "span",
      { class: "proc proc-dead", title: `job${id} is gone or ended` },
      el("span", { class: "dot" }),
      `dead${id}`,
    );
  if (p.job === "waiting-on-you")
    return el(
      "span",
      { class: "proc proc-waiting", title: `job${id} is blocked on a prompt: waiting on you` },
      el("span", { class: "dot" }),
      "waiting on you",
    );
  return el(
    "span",
    { class: "proc proc-unknown", title: p.jobId === null ? "no job id recorded" : `job${id}: not checked` },
    el("span", { class: "dot" }),
    "—",
  );
}

function renderProcess(w: WorkerView, hostStale: boolean): HTMLElement {
  if (w.pipeline && !hostStale) return renderJob(w.pipeline);
  const pid = w.pid === null ? "" : ` ${w.pid}`;
  // Its host is silent: what the pid does now is unknown there, not "dead".
  if (hostStale && !isFinished(w.status))
    return el(
      "span",
      {
        class: "proc proc-host-stale",
        title: `host sends no heartbeat; last known: ${w.alive === true ? "alive" : w.alive === false ? "dead" : "unknown"}${pid}`,
      },
      el("span", { class: "dot" }),
      `host stale${pid}`,
    );
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
    renderLineage(w),
    w.error ? el("div", { class: "ticket-error", title: w.error }, w.error) : null,
  );
}

/** Recovery links: the fix-up commit pushed onto an open PR, and the parent of a follow-up. */
function renderLineage(w: WorkerView): HTMLElement | null {
  const warnings = w.warnings ?? [];
  if (!w.fixupCommit && !w.followUpTo && warnings.length === 0) return null;
  return el(
    "div",
    { class: "ticket-notes" },
    w.fixupCommit
      ? el(
          "span",
          { class: "note note-fixup", title: `fix-up commit ${w.fixupCommit} pushed onto the open PR` },
          `fix-up ${w.fixupCommit.slice(0, 7)}`,
        )
      : null,
    w.followUpTo
      ? el(
          "span",
          { class: "note note-followup", title: `follow-up of ${w.followUpTo}` },
          `follow-up of ${w.followUpTo}`,
        )
      : null,
    warnings.length > 0 ? renderWarnings(w) : null,
  );
}

/** Fields dropped from the worker's files: the worker is shown, the bad values are listed. */
function renderWarnings(w: WorkerView): HTMLElement {
  const lines = w.warnings.map(
    (x) =>
      `${x.source === "state" ? "state.json" : "signal file"} ${x.field}: expected ${x.expected}, received ${x.received}`,
  );
  return el(
    "span",
    {
      class: "note note-warning",
      "data-role": "warnings",
      title: `ignored ${lines.length === 1 ? "a field" : `${lines.length} fields`}:\n${lines.join("\n")}`,
    },
    `⚠ ${lines.length} ${lines.length === 1 ? "field" : "fields"} ignored`,
  );
}

function renderHostCell(orch: OrchestratorView, hostStale: boolean): HTMLElement {
  return el(
    "td",
    { class: "col-host", "data-label": "Host" },
    el("span", { class: "host-name" }, orch.host ?? "—"),
    hostStale ? hostStaleChip(orch.host ?? "") : null,
  );
}

function renderWorkerRow(orch: OrchestratorView, w: WorkerView, input: RowContext): HTMLElement {
  const tone = workerStatusTone(w.status);
  const hostStale = onStaleHost(orch, input);
  const row = el(
    "tr",
    {
      class: `worker tone-row-${tone}`,
      "data-orch": orch.id,
      "data-worker": w.ticket,
      "data-status": w.status,
    },
    // data-label names each cell in the phone layout, where rows become cards (styles.css).
    el("td", { class: "col-wave", "data-label": "Wave" }, w.wave === null ? "—" : `W${w.wave}`),
    renderTicketCell(w),
    input.staleHosts ? renderHostCell(orch, hostStale) : null,
    el("td", { class: "col-status", "data-label": "Status" }, chip(w.status, tone)),
    el("td", { class: "col-phase", "data-label": "Phase" }, renderPhase(w)),
    el("td", { class: "col-pr", "data-label": "PR" }, renderPr(w)),
    el("td", { class: "col-proc", "data-label": "Process" }, renderProcess(w, hostStale)),
    el(
      "td",
      { class: "col-cost", "data-label": "Cost" },
      w.cost ? formatUsd(workerCost(w)) : el("span", { class: "muted" }, "—"),
    ),
    el(
      "td",
      { class: "col-age", "data-label": "Updated" },
      ageCell(w.updatedAt, input.now, !isFinished(w.status)),
    ),
  );
  if (w.corrupt) row.classList.add("is-corrupt");
  if (hostStale) row.classList.add("is-host-stale");
  else if (w.alive === false && !isFinished(w.status)) row.classList.add("is-dead");
  const changed = input.changedAt.get(workerKey(orch.id, w.ticket));
  if (changed !== undefined && input.now - changed < HIGHLIGHT_MS) {
    // Rows are rebuilt on every change; a negative delay continues the animation where it was.
    row.classList.add("changed");
    row.dataset.changedAt = String(changed);
    row.style.animationDelay = `-${input.now - changed}ms`;
  }
  return row;
}

/**
 * Row nodes by worker object: a worker that did not change keeps its row (see createFleetView),
 * unless what the row shows of its host changed (a host column appeared, the host went stale).
 */
export type RowCache = WeakMap<WorkerView, { node: HTMLElement; hostKey: string }>;

/** What a row shows of its host: nothing (one host), or the host column, stale or not. */
export function rowHostKey(
  orch: Pick<OrchestratorView, "host">,
  input: Pick<RowContext, "staleHosts">,
): string {
  if (!input.staleHosts) return "";
  return onStaleHost(orch, input) ? "stale" : "host";
}

function rowFor(orch: OrchestratorView, w: WorkerView, input: RowContext, rows: RowCache): HTMLElement {
  const cached = rows.get(w);
  const changed = input.changedAt.get(workerKey(orch.id, w.ticket));
  const hostKey = rowHostKey(orch, input);
  // A row still highlighting is rebuilt, so its animation delay matches the time now.
  if (cached && cached.hostKey === hostKey && (changed === undefined || input.now - changed >= HIGHLIGHT_MS))
    return cached.node;
  const node = renderWorkerRow(orch, w, input);
  rows.set(w, { node, hostKey });
  return node;
}

function sortWorkers(workers: WorkerView[]): WorkerView[] {
  return [...workers].sort((a, b) => (a.wave ?? 1e9) - (b.wave ?? 1e9) || compareNatural(a.ticket, b.ticket));
}

export function renderWorkerTable(
  orch: OrchestratorView,
  workers: WorkerView[],
  input: RowContext,
  rows: RowCache,
): HTMLElement {
  const head = ["Wave", "Ticket", ...(input.staleHosts ? ["Host"] : []), "Status", "Phase", "PR · CI"];
  head.push("Process", "Cost", "Updated");
  return el(
    "table",
    { class: "workers" },
    el(
      "thead",
      null,
      el(
        "tr",
        null,
        ...head.map((h) =>
          el("th", { scope: "col", "data-col": h === "PR · CI" ? "pr" : h.toLowerCase() }, h),
        ),
      ),
    ),
    el("tbody", null, ...sortWorkers(workers).map((w) => rowFor(orch, w, input, rows))),
  );
}
