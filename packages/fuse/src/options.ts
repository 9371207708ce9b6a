import { FuseOptionsError } from "./errors.js";

/** Tuning for fuse. All are plain numbers so the same options work in the monitor and in replay. */
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
  /**
   * About how many bytes of deltas `createFuse` keeps for `since(id)` (estimated from their JSON
   * size); the oldest go first, so one worker rewritten with a huge field cannot hold gigabytes.
   * @default 33_554_432 (32 MiB)
   */
  ringBytes?: number;
}

/** Options with every default filled in. */
export interface ResolvedOptions {
  stallAfterMs: number;
  ringSize: number;
  ringBytes: number;
}

export const DEFAULT_STALL_AFTER_MS = 900_000;
export const DEFAULT_RING_SIZE = 1000;
export const DEFAULT_RING_BYTES = 32 * 1024 * 1024;

/** Fill in defaults and reject values that cannot work. */
export function resolveOptions(options: FuseOptions | undefined): ResolvedOptions {
  const stallAfterMs = options?.stallAfterMs ?? DEFAULT_STALL_AFTER_MS;
  const ringSize = options?.ringSize ?? DEFAULT_RING_SIZE;
  const ringBytes = options?.ringBytes ?? DEFAULT_RING_BYTES;
  if (typeof stallAfterMs !== "number" || !(stallAfterMs > 0)) {
    throw new FuseOptionsError("stallAfterMs", "a positive number of milliseconds", stallAfterMs);
  }
  if (!Number.isInteger(ringSize) || ringSize < 1) {
    throw new FuseOptionsError("ringSize", "an integer >= 1", ringSize);
  }
  if (typeof ringBytes !== "number" || !(ringBytes > 0)) {
    throw new FuseOptionsError("ringBytes", "a positive number of bytes", ringBytes);
  }
  return { stallAfterMs, ringSize, ringBytes };
}
