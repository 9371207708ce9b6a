// The screen as data: which workers show, in what order, which slice of them fits, and the counts
// in the header. Pure functions of the snapshot and the view state, so the components only draw.
import type { NeedsYouItem, OrchestratorView, Snapshot, WorkerView } from "@catalyst/schema/constants";

/** What the user chose: filter text, one orchestrator or all, failed / needs-you only. */
export interface ViewFilter {
  text: string;
  orchestrator: string | null;
  failedOnly: boolean;
}

export const NO_VIEW_FILTER: ViewFilter = { text: "", orchestrator: null, failedOnly: false };

/** One row of the worker table. */
export interface WorkerRow {
  key: string;
  orchestrator: string;
  worker: WorkerView;
  /** Listed in "needs you" (failed, dead, stalled, attention, corrupt). */
  needsYou: boolean;
}

/** The header's counts. */
export interface FleetCounts {
  orchestrators: number;
  workers: number;
  active: number;
  done: number;
  failed: number;
  needsYou: number;
  dead: number;
}

const FAILED = new Set(["failed", "stalled", "deploy-failed"]);
const DONE = new Set(["done", "merged"]);
const QUIET = new Set(["superseded", "canceled"]);

/** Counts for the header, over the whole fleet (not the filtered rows). */
export function countFleet(snapshot: Snapshot): FleetCounts {
  const counts: FleetCounts = {
    orchestrators: snapshot.orchestrators.length,
    workers: 0,
    active: 0,
    done: 0,
    failed: 0,
    needsYou: snapshot.needsYou.length,
    dead: 0,
  };
  for (const orch of snapshot.orchestrators) {
    for (const w of Object.values(orch.workers)) {
      counts.workers += 1;
      if (FAILED.has(w.status)) counts.failed += 1;
      else if (DONE.has(w.status)) counts.done += 1;
      else if (!QUIET.has(w.status)) counts.active += 1;
      if (w.alive === false && !DONE.has(w.status) && !QUIET.has(w.status)) counts.dead += 1;
    }
  }
  return counts;
}

/** `orchestrator/worker` keys of the workers named in "needs you". */
export function needsYouKeys(items: readonly NeedsYouItem[]): Set<string> {
  const keys = new Set<string>();
  for (const item of items) if (item.worker !== null) keys.add(`${item.orchestrator}/${item.worker}`);
  return keys;
}

// Needs-you first, then failed, then running (latest phase first), then done, then the quiet ones.
function rank(row: WorkerRow): number {
  if (row.needsYou) return 0;
  const s = row.worker.status;
  if (FAILED.has(s)) return 1;
  if (DONE.has(s)) return 3;
  if (QUIET.has(s)) return 4;
  return 2;
}

function compareRows(a: WorkerRow, b: WorkerRow): number {
  return (
    rank(a) - rank(b) ||
    b.worker.phase - a.worker.phase ||
    (a.orchestrator < b.orchestrator ? -1 : a.orchestrator > b.orchestrator ? 1 : 0) ||
    (a.worker.ticket < b.worker.ticket ? -1 : a.worker.ticket > b.worker.ticket ? 1 : 0)
  );
}

function matchesText(row: WorkerRow, needle: string): boolean {
  if (needle === "") return true;
  const w = row.worker;
  const hay = `${w.ticket} ${w.status} ${row.orchestrator} ${w.title ?? ""} ${w.label ?? ""} ${w.pr ? `#${w.pr.number}` : ""}`;
  return hay.toLowerCase().includes(needle);
}

/** The worker rows the filter keeps, sorted: needs-you first, failed next, then by phase. */
export function workerRows(snapshot: Snapshot, filter: ViewFilter): WorkerRow[] {
  const flagged = needsYouKeys(snapshot.needsYou);
  const needle = filter.text.trim().toLowerCase();
  const rows: WorkerRow[] = [];
  for (const orch of snapshot.orchestrators) {
    if (filter.orchestrator !== null && orch.id !== filter.orchestrator) continue;
    for (const [id, worker] of Object.entries(orch.workers)) {
      const key = `${orch.id}/${id}`;
      const row: WorkerRow = { key, orchestrator: orch.id, worker, needsYou: flagged.has(key) };
      if (filter.failedOnly && !row.needsYou && !FAILED.has(worker.status)) continue;
      if (!matchesText(row, needle)) continue;
      rows.push(row);
    }
  }
  return rows.sort(compareRows);
}

/** The orchestrators to list, filtered to the picked one. */
export function orchestratorList(snapshot: Snapshot, filter: ViewFilter): OrchestratorView[] {
  return filter.orchestrator === null
    ? snapshot.orchestrators
    : snapshot.orchestrators.filter((o) => o.id === filter.orchestrator);
}

/** The slice of `total` rows that fits `height` lines and keeps `selected` in view. */
export function windowRows(total: number, selected: number, height: number): { start: number; end: number } {
  const size = Math.max(1, height);
  if (total <= size) return { start: 0, end: total };
  const sel = clamp(selected, 0, total - 1);
  let start = sel - Math.floor(size / 2);
  start = clamp(start, 0, total - size);
  return { start, end: start + size };
}

export function clamp(n: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, n));
}

/** A phase bar of `width` cells for phases 0..6. */
export function phaseBar(phase: number, width = 7): string {
  const filled = clamp(Math.round((clamp(phase, 0, 6) / 6) * width), 0, width);
  return `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
}

/** `3s`, `4m`, `2h`, `5d` since `iso`, or `-`. */
export function age(iso: string | null, nowMs: number): string {
  if (iso === null) return "-";
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return "?";
  const s = Math.max(0, Math.round((nowMs - t) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** `#123 passing`, `#123 merged`, or `-`. */
export function prCell(worker: WorkerView): string {
  const pr = worker.pr;
  if (pr === null) return "-";
  const ci = pr.state === "merged" ? "merged" : pr.ciStatus;
  return `#${pr.number} ${ci}${pr.stale ? "?" : ""}`;
}

/** `yes`, `DEAD`, or `-` when unknown. */
export function aliveCell(worker: WorkerView): string {
  return worker.alive === null ? "-" : worker.alive ? "yes" : "DEAD";
}

/** `3/10 done, 1 failed, wave 2/4`. */
export function orchestratorLine(orch: OrchestratorView): string {
  const p = orch.progress;
  const wave = orch.totalWaves > 0 ? `wave ${orch.currentWave}/${orch.totalWaves}` : "no waves";
  return `${p.done}/${p.total} done${p.failed > 0 ? `, ${p.failed} failed` : ""}, ${p.active} active, ${wave}`;
}

/** Cuts `text` to `width` columns, with an ellipsis when cut; pads to `width` when `pad`. */
export function fit(text: string, width: number, pad = true): string {
  if (width <= 0) return "";
  const out = text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text;
  return pad ? out.padEnd(width) : out;
}

/** Column widths of the worker table for a terminal `columns` wide. */
export function tableColumns(columns: number): {
  ticket: number;
  status: number;
  bar: number;
  pr: number;
  alive: number;
  age: number;
  orch: number;
} {
  const fixed = { status: 13, bar: 7, pr: 14, alive: 5, age: 4 };
  const gaps = 7;
  const rest = Math.max(
    10,
    columns - (fixed.status + fixed.bar + fixed.pr + fixed.alive + fixed.age + gaps) - 2,
  );
  // The orchestrator column only when there is room for it.
  const orch = rest >= 40 ? Math.min(24, rest - 20) : 0;
  return { ...fixed, ticket: rest - orch, orch };
}

/** One worker row as plain text (the table and `--once` share it). */
export function formatWorkerRow(row: WorkerRow, columns: number, nowMs: number, selected = false): string {
  const c = tableColumns(columns);
  const w = row.worker;
  const cells = [
    fit(`${selected ? ">" : row.needsYou ? "!" : " "}${w.ticket}${w.title ? ` ${w.title}` : ""}`, c.ticket),
    ...(c.orch > 0 ? [fit(row.orchestrator, c.orch)] : []),
    fit(w.status, c.status),
    phaseBar(w.phase, c.bar),
    fit(prCell(w), c.pr),
    fit(aliveCell(w), c.alive),
    fit(age(w.updatedAt, nowMs), c.age, false),
  ];
  return cells.join(" ");
}

/** The table header matching formatWorkerRow. */
export function formatHeaderRow(columns: number): string {
  const c = tableColumns(columns);
  const cells = [
    fit(" TICKET / TITLE", c.ticket),
    ...(c.orch > 0 ? [fit("ORCHESTRATOR", c.orch)] : []),
    fit("STATUS", c.status),
    fit("PHASE", c.bar),
    fit("PR / CI", c.pr),
    fit("ALIVE", c.alive),
    "AGE",
  ];
  return cells.join(" ");
}

/** The header's one-line summary of the counts. */
export function countsLine(c: FleetCounts): string {
  return `${c.orchestrators} orch · ${c.workers} workers · ${c.active} active · ${c.done} done · ${c.failed} failed · ${c.needsYou} need you${c.dead > 0 ? ` · ${c.dead} dead` : ""}`;
}

/** A `log-event` or other delta as one line of the event pane. */
export interface PaneEvent {
  ts: string;
  text: string;
}

/** Keeps the last `max` items (the live event pane is bounded). */
export function pushBounded<T>(list: readonly T[], items: readonly T[], max: number): T[] {
  const out = list.concat(items);
  return out.length > max ? out.slice(out.length - max) : out;
}
