import { NotifyOptionsError } from "./errors.js";
import { OPT_IN_KINDS, type OptInKind } from "./types.js";

/** How long a condition must last before it alerts (`--notify-hold`). */
export const DEFAULT_HOLD_MS = 5_000;
/** Conditions of one kind and orchestrator within this window make one incident. */
export const DEFAULT_CORRELATE_MS = 30_000;
/** An incident closes once every condition in it has been clear this long (flap damping). */
export const DEFAULT_CLEAR_HOLD_MS = 30_000;

export interface NotifierOptions {
  /** @default 5000 */
  holdMs?: number;
  /** @default 30000 */
  correlateMs?: number;
  /** @default 30000 (never less than `holdMs`) */
  clearHoldMs?: number;
  /** Send one `resolved` alert when an incident closes. @default false */
  resolved?: boolean;
  /** Opt-in kinds to alert on. @default [] */
  kinds?: readonly OptInKind[];
  /** The dashboard's URL, for deep links (`?orch=&worker=`); none when absent. */
  dashboardUrl?: string | null;
  /** One-shot events remembered to never send twice (PR merged, wave completed…). @default 10000 */
  seenEventsLimit?: number;
  /**
   * Due hold-downs and clear holds handled per `tick` (and per `apply`); the rest stay due, so
   * `nextDeadline` is then at or before now and the caller ticks again after other work.
   * @default DEFAULT_DUE_PER_TICK
   */
  duePerTick?: number;
}

/**
 * Due timers handled per tick. A restart with 8,000 stalled workers makes 8,000 hold-downs end in
 * the same millisecond: handled in one tick they held the event loop 40–90 ms (issue 26), and
 * every file change that arrived meanwhile waited.
 */
export const DEFAULT_DUE_PER_TICK = 256;

export interface ResolvedOptions {
  holdMs: number;
  correlateMs: number;
  clearHoldMs: number;
  resolved: boolean;
  kinds: ReadonlySet<OptInKind>;
  dashboardUrl: string | null;
  seenEventsLimit: number;
  duePerTick: number;
}

function ms(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0)
    throw new NotifyOptionsError(name, "a duration >= 0 in ms", value);
  return value;
}

/** Options with defaults filled in; throws `NotifyOptionsError` for a value out of range. */
export function resolveOptions(options: NotifierOptions = {}): ResolvedOptions {
  const holdMs = ms("holdMs", options.holdMs, DEFAULT_HOLD_MS);
  const kinds = new Set<OptInKind>();
  for (const kind of options.kinds ?? []) {
    if (!(OPT_IN_KINDS as readonly string[]).includes(kind))
      throw new NotifyOptionsError("kinds", `one of ${OPT_IN_KINDS.join(", ")}`, kind);
    kinds.add(kind);
  }
  const seenEventsLimit = options.seenEventsLimit ?? 10_000;
  if (!Number.isInteger(seenEventsLimit) || seenEventsLimit < 1)
    throw new NotifyOptionsError("seenEventsLimit", "an integer >= 1", seenEventsLimit);
  const duePerTick = options.duePerTick ?? DEFAULT_DUE_PER_TICK;
  if (!Number.isInteger(duePerTick) || duePerTick < 1)
    throw new NotifyOptionsError("duePerTick", "an integer >= 1", duePerTick);
  return {
    holdMs,
    correlateMs: ms("correlateMs", options.correlateMs, DEFAULT_CORRELATE_MS),
    clearHoldMs: Math.max(holdMs, ms("clearHoldMs", options.clearHoldMs, DEFAULT_CLEAR_HOLD_MS)),
    resolved: options.resolved ?? false,
    kinds,
    dashboardUrl: options.dashboardUrl ?? null,
    seenEventsLimit,
    duePerTick,
  };
}

/** Parses `--notify-kinds` text (`pr-merged,host-stale`); throws `NotifyOptionsError` for an unknown kind. */
export function parseOptInKinds(text: string): OptInKind[] {
  const out: OptInKind[] = [];
  for (const part of text.split(",")) {
    const kind = part.trim();
    if (kind === "") continue;
    if (kind === "all") return [...OPT_IN_KINDS];
    if (!(OPT_IN_KINDS as readonly string[]).includes(kind))
      throw new NotifyOptionsError("kinds", `one of ${OPT_IN_KINDS.join(", ")} or all`, kind);
    out.push(kind as OptInKind);
  }
  return out;
}
