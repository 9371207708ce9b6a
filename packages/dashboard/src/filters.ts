// URL filters of the dashboard: `?orch=`, `?status=`, `?project=` (the seed's unbuilt filters,
// FORMATS §5.13), and `?host=` on a monitor that fuses several machines. Each takes a
// comma-separated list; an empty list means "no filter".
import type { NeedsYouItem, OrchestratorView, WorkerView } from "@catalyst/schema";
import { ticketProject } from "./format.js";
import { isFinished } from "./status-tone.js";

/** The active filters. Values are kept as typed (trimmed); matching is case-insensitive. */
export interface Filters {
  /** Orchestrator ids, or parts of them. */
  orch: string[];
  /** Worker statuses, or the groups `active`, `finished`, `attention`. */
  status: string[];
  /** Project keys (`CTL`): an orchestrator's projectKey or a ticket's prefix. */
  project: string[];
  /** Host names (exact, case-insensitive), on a multi-host monitor. */
  host: string[];
}

/** No filter at all. */
export const NO_FILTERS: Readonly<Filters> = Object.freeze({ orch: [], status: [], project: [], host: [] });

/** The filter names, in the order the filter bar shows them. */
export const FILTER_NAMES = ["orch", "status", "project", "host"] as const;
export type FilterName = (typeof FILTER_NAMES)[number];

/** Status groups accepted by `?status=` beside plain status names. */
export const STATUS_GROUPS = ["active", "finished", "attention"] as const;

/** Reads the filters from a query string such as `location.search`. */
export function parseFilters(search: string): Filters {
  const params = new URLSearchParams(search);
  const list = (name: FilterName): string[] =>
    params
      .getAll(name)
      .flatMap((v) => v.split(","))
      .map((v) => v.trim())
      .filter((v) => v.length > 0);
  return { orch: list("orch"), status: list("status"), project: list("project"), host: list("host") };
}

/** Writes the filters into a query string, keeping other parameters (such as `token`). */
export function formatFilters(filters: Filters, search: string): string {
  const params = new URLSearchParams(search);
  for (const name of FILTER_NAMES) {
    params.delete(name);
    if (filters[name].length > 0) params.set(name, filters[name].join(","));
  }
  const text = params.toString().replaceAll("%2C", ",");
  return text ? `?${text}` : "";
}

/** True when any filter is set. */
export function hasFilters(filters: Filters): boolean {
  return FILTER_NAMES.some((name) => filters[name].length > 0);
}

const lower = (values: readonly string[]): string[] => values.map((v) => v.toLowerCase());

/**
 * True when the orchestrator passes the `orch` filter (exact id or a part of it) and the `host`
 * filter (its host, exactly; an orchestrator with no host never matches a host filter).
 */
export function matchesOrchestrator(orch: { id: string; host?: string }, filters: Filters): boolean {
  if (filters.host.length > 0) {
    const host = orch.host?.toLowerCase();
    if (host === undefined || !lower(filters.host).includes(host)) return false;
  }
  if (filters.orch.length === 0) return true;
  const id = orch.id.toLowerCase();
  return lower(filters.orch).some((v) => id.includes(v));
}

/** True when a worker passes the `project` filter. */
function matchesProject(worker: { ticket: string }, orch: { projectKey: string | null }, filters: Filters) {
  if (filters.project.length === 0) return true;
  const wanted = lower(filters.project);
  const keys = [orch.projectKey, ticketProject(worker.ticket)].filter((k): k is string => !!k);
  return keys.some((k) => wanted.includes(k.toLowerCase()));
}

/** True when a worker passes the `status` filter (a status name or a group). */
function matchesStatus(worker: WorkerView, filters: Filters): boolean {
  if (filters.status.length === 0) return true;
  const status = worker.status.toLowerCase();
  return lower(filters.status).some((v) => {
    if (v === "active") return !isFinished(status);
    if (v === "finished") return isFinished(status);
    if (v === "attention") return worker.needsAttention || worker.corrupt !== null || worker.alive === false;
    return v === status;
  });
}

/** True when the worker passes every filter. */
export function matchesWorker(worker: WorkerView, orch: OrchestratorView, filters: Filters): boolean {
  return (
    matchesOrchestrator(orch, filters) &&
    matchesProject(worker, orch, filters) &&
    matchesStatus(worker, filters)
  );
}

/**
 * True when a "needs you" item or an event line belongs to the filtered orchestrators and
 * projects (the status filter is about rows, so it does not apply here).
 */
export function matchesNeedsYou(
  item: Pick<NeedsYouItem, "orchestrator" | "worker">,
  orchestrators: readonly OrchestratorView[],
  filters: Filters,
): boolean {
  const orch =
    filters.host.length > 0 || filters.project.length > 0
      ? orchestrators.find((o) => o.id === item.orchestrator)
      : undefined;
  if (!matchesOrchestrator({ id: item.orchestrator, host: orch?.host }, filters)) return false;
  if (filters.project.length === 0) return true;
  return matchesProject({ ticket: item.worker ?? "" }, { projectKey: orch?.projectKey ?? null }, filters);
}
