import type { Delta } from "@catalyst/schema";

/** A bounded, id-ordered store of the most recent deltas. */
export interface DeltaRing {
  push(delta: Delta): void;
  /** Deltas with id > `id`, or null when some of them were evicted. */
  after(id: number): Delta[] | null;
  readonly size: number;
  /** The estimated bytes held (see `estimateBytes`). */
  readonly bytes: number;
}

/**
 * Roughly the bytes of `value` as JSON (strings by length, 8 per number, small overhead per key),
 * without serialising it. Deep values are cut at `maxDepth` levels and counted as a constant.
 */
export function estimateBytes(value: unknown, maxDepth = 64): number {
  if (typeof value === "string") return value.length + 2;
  if (value === null || typeof value !== "object") return 8;
  if (maxDepth <= 0) return 64;
  let total = 2;
  if (Array.isArray(value)) {
    for (const item of value) total += 1 + estimateBytes(item, maxDepth - 1);
    return total;
  }
  for (const key in value) {
    total += key.length + 4 + estimateBytes((value as Record<string, unknown>)[key], maxDepth - 1);
  }
  return total;
}

/**
 * A ring of at most `capacity` deltas and about `maxBytes` of them; the oldest goes first. The
 * newest delta is always kept, however large.
 */
export function createDeltaRing(capacity: number, maxBytes = Number.POSITIVE_INFINITY): DeltaRing {
  const slots: Array<Delta | undefined> = new Array(capacity);
  const sizes = new Float64Array(capacity);
  let start = 0;
  let count = 0;
  let bytes = 0;
  const evictOldest = (): void => {
    bytes -= sizes[start] as number;
    slots[start] = undefined;
    start = (start + 1) % capacity;
    count--;
  };
  return {
    push(delta) {
      const size = Number.isFinite(maxBytes) ? estimateBytes(delta.data) : 0;
      if (count === capacity) evictOldest();
      while (count > 0 && bytes + size > maxBytes) evictOldest();
      const at = (start + count) % capacity;
      slots[at] = delta;
      sizes[at] = size;
      bytes += size;
      count++;
    },
    after(id) {
      if (count === 0) return [];
      const oldest = slots[start] as Delta;
      // Ids are consecutive, so everything after `id` is here only if id+1 was not evicted.
      if (id < oldest.id - 1) return null;
      const skip = Math.max(0, id - oldest.id + 1);
      const out: Delta[] = [];
      for (let i = skip; i < count; i++) out.push(slots[(start + i) % capacity] as Delta);
      return out;
    },
    get size() {
      return count;
    },
    get bytes() {
      return bytes;
    },
  };
}
