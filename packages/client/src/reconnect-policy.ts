// When to reconnect and whether a reconnect may resume: pure, so it is unit-tested in Node.
import type { HealthResponse } from "@catalyst/schema/constants";

/** Backoff settings. */
export interface Backoff {
  /** @default 500 */
  initialMs: number;
  /** @default 15_000 */
  maxMs: number;
}

/** Delay before reconnect attempt `attempt` (1-based): doubling from initialMs up to maxMs, ±25% jitter. */
export function backoffDelay(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  const base = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.75 + random() * 0.5));
}

/**
 * Decides whether a reconnect can resume from `lastId`: only when the server that answers is the
 * one we were connected to. A restarted server numbers its deltas from 1 again, so the same id
 * would mean different events; it is recognised by a smaller lastEventId or by an uptime shorter
 * than our outage.
 */
export function canResume(
  lastId: number,
  health: Pick<HealthResponse, "lastEventId" | "uptimeSec">,
  outageMs: number,
): boolean {
  if (lastId <= 0) return false;
  if (typeof health.lastEventId !== "number" || typeof health.uptimeSec !== "number") return false;
  return health.lastEventId >= lastId && health.uptimeSec * 1000 > outageMs;
}
