import { FuseOptionsError } from "./errors.js";

/** Tuning for fuse. Both are plain numbers so the same options work in the monitor and in replay. */
export interface FuseOptions {
  /**
   * A non-terminal worker with no update for this long is listed as stalled in "needs you".
   * @default 900_000 (15 min, the orchestrate skill's stall check, FORMATS §5.9)
   */
  stallAfterMs?: number;
  /**
   * How many deltas `createFuse` keeps for `since(id)`.
   * @default 1000
   */
  ringSize?: number;
}

/** Options with every default filled in. */
export interface ResolvedOptions {
  stallAfterMs: number;
  ringSize: number;
}

export const DEFAULT_STALL_AFTER_MS = 900_000;
export const DEFAULT_RING_SIZE = 1000;

/** Fill in defaults and reject values that cannot work. */
export function resolveOptions(options: FuseOptions | undefined): ResolvedOptions {
  const stallAfterMs = options?.stallAfterMs ?? DEFAULT_STALL_AFTER_MS;
  const ringSize = options?.ringSize ?? DEFAULT_RING_SIZE;
  if (typeof stallAfterMs !== "number" || !(stallAfterMs > 0)) {
    throw new FuseOptionsError("stallAfterMs", "a positive number of milliseconds", stallAfterMs);
  }
  if (!Number.isInteger(ringSize) || ringSize < 1) {
    throw new FuseOptionsError("ringSize", "an integer >= 1", ringSize);
  }
  return { stallAfterMs, ringSize };
}
