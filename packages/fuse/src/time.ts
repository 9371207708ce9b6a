import { isTimestamp, timestampMs } from "@catalyst/schema";
import { InvalidTimeError } from "./errors.js";

/**
 * How far ahead of `now` a timestamp may be and still be trusted (writers' clocks drift; the
 * replay reader allows the same 5 min). Anything later is flagged on the worker and ignored for
 * `updatedAt`, statuses and staleness, so a line stamped 9999-12-31 cannot hide a stall.
 */
export const FUTURE_SKEW_MS = 5 * 60_000;

/** The ISO form of a caller-supplied `now`; throws InvalidTimeError for an invalid Date. */
export function isoOf(now: Date): string {
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new InvalidTimeError(now);
  return now.toISOString();
}

/** A timestamp field as the views carry it: the string when it parses, else null ("" and null mean unset). */
export function timestampOrNull(value: unknown): string | null {
  return isTimestamp(value) ? value : null;
}

/** Epoch ms of an optional timestamp, NaN when absent or unparseable. */
export function msOf(value: string | null | undefined): number {
  return typeof value === "string" ? timestampMs(value) : Number.NaN;
}

/** The newest of several optional timestamps (compared as times, never as strings; FORMATS §0). */
export function newestTimestamp(...values: Array<string | null | undefined>): string | null {
  let best: string | null = null;
  let bestMs = Number.NEGATIVE_INFINITY;
  for (const value of values) {
    const ms = msOf(value);
    if (Number.isFinite(ms) && ms > bestMs) {
      best = value as string;
      bestMs = ms;
    }
  }
  return best;
}
