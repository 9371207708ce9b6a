/** One item of a PR head commit's `statusCheckRollup.contexts`: a CheckRun or a StatusContext. */
export interface RollupContext {
  /** CheckRun: `QUEUED`, `IN_PROGRESS`, `COMPLETED`, `WAITING`, `PENDING`, `REQUESTED`. */
  status?: string | null;
  /** CheckRun, when completed: `SUCCESS`, `FAILURE`, `NEUTRAL`, `SKIPPED`, `TIMED_OUT`, ... */
  conclusion?: string | null;
  /** StatusContext: `SUCCESS`, `FAILURE`, `ERROR`, `PENDING`, `EXPECTED`. */
  state?: string | null;
}

/** The rollup as fetched: GitHub's own summary state plus the first page of items. */
export interface CheckRollup {
  state: string | null;
  contexts: readonly RollupContext[];
  /** False when there were more items than one page holds. */
  complete: boolean;
}

/** CI summary in the signal-file vocabulary (FORMATS §2.4). */
export type CiStatus = "pending" | "passing" | "failing" | "merged";

const PENDING_STATUS = new Set(["IN_PROGRESS", "QUEUED", "PENDING", "WAITING", "REQUESTED"]);
const FAILING_CONCLUSION = new Set([
  "FAILURE",
  "TIMED_OUT",
  "CANCELLED",
  "ACTION_REQUIRED",
  "STARTUP_FAILURE",
]);

function itemPending(item: RollupContext): boolean {
  if (item.status) return PENDING_STATUS.has(item.status);
  return item.state === "PENDING" || item.state === "EXPECTED";
}

function itemFailing(item: RollupContext): boolean {
  if (item.status || item.conclusion) return FAILING_CONCLUSION.has(item.conclusion ?? "");
  return item.state === "FAILURE" || item.state === "ERROR";
}

function fromRollupState(state: string | null): CiStatus | null {
  if (state === "SUCCESS") return "passing";
  if (state === "FAILURE" || state === "ERROR") return "failing";
  if (state === "PENDING" || state === "EXPECTED") return "pending";
  return null;
}

/**
 * The repo-grounded mapping of FORMATS §5.8.4: merged wins, then any pending item, then any failing
 * item, then passing; an empty or missing rollup is pending. When the items did not fit in one page,
 * GitHub's own rollup state settles what the first page cannot (a later item may be pending).
 */
export function ciStatusFromRollup(merged: boolean, rollup: CheckRollup | null): CiStatus {
  if (merged) return "merged";
  if (!rollup) return "pending";
  const items = rollup.contexts;
  if (items.some(itemPending)) return "pending";
  const partial: CiStatus = items.some(itemFailing) ? "failing" : items.length > 0 ? "passing" : "pending";
  if (rollup.complete) return partial;
  const summary = fromRollupState(rollup.state);
  if (summary === "pending") return "pending";
  if (partial === "failing") return "failing";
  return summary ?? partial;
}
