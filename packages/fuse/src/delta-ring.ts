import type { Delta } from "@catalyst/schema";

/** A bounded, id-ordered store of the most recent deltas. */
export interface DeltaRing {
  push(delta: Delta): void;
  /** Deltas with id > `id`, or null when some of them were evicted. */
  after(id: number): Delta[] | null;
  readonly size: number;
}

/** A ring of at most `capacity` deltas; the oldest is overwritten first. */
export function createDeltaRing(capacity: number): DeltaRing {
  const slots: Array<Delta | undefined> = new Array(capacity);
  let start = 0;
  let count = 0;
  return {
    push(delta) {
      if (count < capacity) {
        slots[(start + count) % capacity] = delta;
        count++;
      } else {
        slots[start] = delta;
        start = (start + 1) % capacity;
      }
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
  };
}
