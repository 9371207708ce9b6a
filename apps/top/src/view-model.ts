// The screen as data: which workers show, in what order, which slice of them fits, and the counts
// in the header. Pure functions of the snapshot and the view state, so the components only draw.
import { describeSkippedLines, describeStaleHost, staleHostNames } from "@catalyst/client";
import type {
  HostView,
  NeedsYouItem,
  OrchestratorView,
  Snapshot,
  WorkerView,
} from "@catalyst/schema/constants";

/** What the user chose: filter text, one orchestrator or all, one host or all, failed / needs-you only. */
export interface ViewFilter {
  text: string;
  orchestrator: string | null;
  /** One host of a multi-host monitor, or null for all. */
  host: string | null;
  failedOnly: boolean;
}

export const NO_VIEW_FILTER: ViewFilter = { text: "", orchestrator: null, host: null, failedOnly: false };

/** One row of the worker table. */
export interface WorkerRow {
  key: string;
  orchestrator: string;
  worker: WorkerView;
  /** Listed in "needs you" (failed, dead, stalled, attention, corrupt). */
  needsYou: boolean;
  /** The machine it runs on (multi-host monitor), or null. */
  host: string | null;
  /** Its host sends no heartbeat: the row is its last known state, not a dead worker. */
  hostStale: boolean;
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
  /** Workers on stale hosts (last known state; never counted dead). */
  onStaleHosts: number;
  /** What the workers shown have cost so far, in USD (the sum of their `cost.costUSD`). */
  costUsd: number;
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
    onStaleHosts: 0,
    costUsd: 0,
  };
  const stale = staleHostNames(snapshot);
  for (const orch of snapshot.orchestrators) {
    const hostStale = orch.host !== undefined && stale.has(orch.host);
    for (const w of Object.values(orch.workers)) {
      counts.workers += 1;
      counts.costUsd += workerCost(w);
      if (FAILED.has(w.status)) counts.failed += 1;
      else if (DONE.has(w.status)) counts.done += 1;
      else if (!QUIET.has(w.status)) counts.active += 1;
      if (hostStale) counts.onStaleHosts += 1;
      else if (w.alive === false && !DONE.has(w.status) && !QUIET.has(w.status)) counts.dead += 1;
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
  const hay = `${w.ticket} ${w.status} ${row.orchestrator} ${row.host ?? ""} ${w.title ?? ""} ${w.label ?? ""} ${w.pr ? `#${w.pr.number}` : ""}`;
  return hay.toLowerCase().includes(needle);
}

/** The worker rows the filter keeps, sorted: needs-you first, failed next, then by phase. */
export function workerRows(snapshot: Snapshot, filter: ViewFilter): WorkerRow[] {
  const flagged = needsYouKeys(snapshot.needsYou);
  const needle = filter.text.trim().toLowerCase();
  const stale = staleHostNames(snapshot);
  const rows: WorkerRow[] = [];
  for (const orch of snapshot.orchestrators) {
    if (filter.orchestrator !== null && orch.id !== filter.orchestrator) continue;
    if (filter.host !== null && orch.host !== filter.host) continue;
    const host = orch.host ?? null;
    const hostStale = host !== null && stale.has(host);
    for (const [id, worker] of Object.entries(orch.workers)) {
      const key = `${orch.id}/${id}`;
      const row: WorkerRow = {
        key,
        orchestrator: orch.id,
        worker,
        needsYou: flagged.has(key),
        host,
        hostStale,
      };
      if (filter.failedOnly && !row.needsYou && !FAILED.has(worker.status)) continue;
      if (!matchesText(row, needle)) continue;
      rows.push(row);
    }
  }
  return rows.sort(compareRows);
}

/** The orchestrators to list, filtered to the picked one and the picked host. */
export function orchestratorList(snapshot: Snapshot, filter: ViewFilter): OrchestratorView[] {
  if (filter.orchestrator === null && filter.host === null) return snapshot.orchestrators;
  return snapshot.orchestrators.filter(
    (o) =>
      (filter.orchestrator === null || o.id === filter.orchestrator) &&
      (filter.host === null || o.host === filter.host),
  );
}

/** The host after `current` in the `h` cycle: all → each host in order → all. */
export function nextHost(
  hosts: readonly HostView[] | null | undefined,
  current: string | null,
): string | null {
  if (!hosts || hosts.length === 0) return null;
  const at = current === null ? -1 : hosts.findIndex((h) => h.name === current);
  return at + 1 < hosts.length ? hosts[at + 1]!.name : null;
}

/** Width of the HOST column: 0 on a single-host monitor (no column), else the longest name, 4–12. */
export function hostColumnWidth(snapshot: Pick<Snapshot, "hosts"> | null): number {
  const hosts = snapshot?.hosts;
  if (!hosts) return 0;
  return clamp(Math.max(4, ...hosts.map((h) => h.name.length)), 4, 12);
}

/** One host of the header's hosts line: its name, when stale the silence in words, and its skipped lines. */
export interface HostPart {
  name: string;
  /** "stale — no heartbeat for 2 min", or null for a host that reports. */
  stale: string | null;
  /** "3 lines skipped" (its publisher's skipped-line markers, as the dashboard's hosts strip says), or null for none. */
  skipped: string | null;
}

/** The header's hosts line, host by host (null on a single-host monitor). */
export function hostParts(snapshot: Pick<Snapshot, "hosts"> | null, nowMs: number): HostPart[] | null {
  const hosts = snapshot?.hosts;
  if (!hosts) return null;
  return hosts.map((h) => ({
    name: h.name,
    stale: describeStaleHost(h, nowMs),
    skipped: describeSkippedLines(h),
  }));
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

// The execution-core board's columns (FORMATS-TODAY R3.12), short enough for the PHASE column.
const COLUMN_SHORT: Readonly<Record<string, string>> = {
  Triage: "Triage",
  Research: "Resrch",
  Plan: "Plan",
  Implement: "Impl",
  Validate: "Valid",
  PR: "PR",
  Done: "Done",
};

/** The PHASE cell: an execution-core ticket's board column by name, else the phase bar. */
export function phaseCell(worker: WorkerView, width = 7): string {
  const column = worker.pipeline?.column;
  if (column !== undefined) return fit(COLUMN_SHORT[column] ?? column, width);
  return phaseBar(worker.phase, width);
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

/**
 * The hosts line as plain text: `hosts: alpha (3 lines skipped) · beta STALE (no heartbeat for 2 min)`.
 */
export function hostsLine(parts: readonly HostPart[]): string {
  return `hosts: ${parts.map(hostPartText).join(" · ")}`;
}

/** One host of the hosts line: its name, `STALE (…)` when stale, and `(N lines skipped)` when any. */
export function hostPartText(part: HostPart): string {
  return `${hostNameText(part)}${part.skipped === null ? "" : ` ${skippedPartText(part)}`}`;
}

/** A host's name, with `STALE (…)` when stale. */
export function hostNameText(part: HostPart): string {
  return part.stale === null ? part.name : `${part.name} STALE (${part.stale.replace(/^stale — /, "")})`;
}

/** `(3 lines skipped)`, or "" when the host skipped none. */
export function skippedPartText(part: HostPart): string {
  return part.skipped === null ? "" : `(${part.skipped})`;
}

/** `yes`, `DEAD`, or `-` when unknown; `stale host` when its host went silent (never `DEAD`). */
export function aliveCell(worker: WorkerView, hostStale = false): string {
  if (hostStale) return "stale host";
  // An execution-core phase: its Claude Code job (R3.18/R3.19); blocked is waiting on you, not dead.
  if (worker.pipeline?.job === "waiting-on-you") return "WAIT";
  return worker.alive === null ? "-" : worker.alive ? "yes" : "DEAD";
}

/** A worker's `cost.costUSD`, 0 when it has none. */
export function workerCost(worker: WorkerView): number {
  const usd = worker.cost?.costUSD;
  return typeof usd === "number" && Number.isFinite(usd) && usd > 0 ? usd : 0;
}

/** Dollars as `$12.34` (`<$0.01` for a fraction of a cent, `-` for none). */
export function formatUsd(usd: number): string {
  if (!(usd > 0)) return "-";
  return usd < 0.01 ? "<$0.01" : `$${usd.toFixed(2)}`;
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

/**
 * Column widths of the worker table for a terminal `columns` wide. `hostWidth` > 0 (a multi-host
 * monitor, see hostColumnWidth) adds the HOST column and widens ALIVE to fit `stale host`.
 */
export function tableColumns(
  columns: number,
  hostWidth = 0,
): {
  ticket: number;
  status: number;
  bar: number;
  pr: number;
  alive: number;
  cost: number;
  age: number;
  orch: number;
  host: number;
} {
  const base = { status: 13, bar: 7, pr: 14, alive: hostWidth > 0 ? 10 : 5, age: 4 };
  const gaps = 7 + (hostWidth > 0 ? 1 : 0);
  const room = columns - (base.status + base.bar + base.pr + base.alive + base.age + gaps + hostWidth) - 2;
  // The COST column only when the ticket keeps room for "TICKET / TITLE" beside it.
  const cost = room - 9 >= 16 ? 8 : 0;
  const fixed = { ...base, cost };
  const rest = Math.max(10, room - (cost > 0 ? cost + 1 : 0));
  // The orchestrator column only when there is room for it.
  const orch = rest >= 40 ? Math.min(24, rest - 20) : 0;
  return { ...fixed, ticket: rest - orch, orch, host: hostWidth };
}

/** One worker row as plain text (the table and `--once` share it); `hostWidth` as in tableColumns. */
export function formatWorkerRow(
  row: WorkerRow,
  columns: number,
  nowMs: number,
  selected = false,
  hostWidth = 0,
): string {
  const c = tableColumns(columns, hostWidth);
  const w = row.worker;
  const cells = [
    fit(`${selected ? ">" : row.needsYou ? "!" : " "}${w.ticket}${w.title ? ` ${w.title}` : ""}`, c.ticket),
    ...(c.host > 0 ? [fit(row.host ?? "-", c.host)] : []),
    ...(c.orch > 0 ? [fit(row.orchestrator, c.orch)] : []),
    fit(w.status, c.status),
    phaseCell(w, c.bar),
    fit(prCell(w), c.pr),
    fit(aliveCell(w, row.hostStale), c.alive),
    ...(c.cost > 0 ? [fit(formatUsd(workerCost(w)).padStart(c.cost), c.cost)] : []),
    fit(age(w.updatedAt, nowMs), c.age, false),
  ];
  return cells.join(" ");
}

/** The table header matching formatWorkerRow. */
export function formatHeaderRow(columns: number, hostWidth = 0): string {
  const c = tableColumns(columns, hostWidth);
  const cells = [
    fit(" TICKET / TITLE", c.ticket),
    ...(c.host > 0 ? [fit("HOST", c.host)] : []),
    ...(c.orch > 0 ? [fit("ORCHESTRATOR", c.orch)] : []),
    fit("STATUS", c.status),
    fit("PHASE", c.bar),
    fit("PR / CI", c.pr),
    fit("ALIVE", c.alive),
    ...(c.cost > 0 ? ["COST".padStart(c.cost)] : []),
    "AGE",
  ];
  return cells.join(" ");
}

/** The header's one-line summary of the counts. */
export function countsLine(c: FleetCounts): string {
  return `${c.orchestrators} orch · ${c.workers} workers · ${c.active} active · ${c.done} done · ${c.failed} failed · ${c.needsYou} need you${c.dead > 0 ? ` · ${c.dead} dead` : ""}${c.onStaleHosts > 0 ? ` · ${c.onStaleHosts} on stale hosts` : ""}${c.costUsd > 0 ? ` · ${formatUsd(c.costUsd)} spent` : ""}`;
}

/** `spent today $12.34 · burn $1.20/h`: since local midnight, and over the last hour. */
export function spendLine(spent: (from: Date, to: Date) => number, nowMs: number): string {
  const midnight = new Date(nowMs);
  midnight.setHours(0, 0, 0, 0);
  const end = new Date(nowMs + 1);
  const today = spent(midnight, end);
  const hour = spent(new Date(nowMs - 3_600_000), end);
  return `spent today ${today > 0 ? formatUsd(today) : "$0"} · burn ${hour > 0 ? formatUsd(hour) : "$0"}/h`;
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
