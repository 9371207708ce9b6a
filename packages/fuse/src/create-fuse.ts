import type { Delta, FuseInput, Snapshot } from "@catalyst/schema";
import { createDeltaRing } from "./delta-ring.js";
import { FuseListenerError } from "./errors.js";
import { type FuseOptions, resolveOptions } from "./options.js";
import { reduce } from "./reduce.js";
import { createInitialState, type FuseState } from "./state.js";
import { isoOf } from "./time.js";
import { toSnapshot } from "./to-snapshot.js";

/** The stateful wrapper apps and tools use: sequencing, a resumable ring, and fan-out. */
export interface Fuse {
  /** Reduce the inputs in order, give the deltas increasing ids (1, 2, 3, …), store and publish them. */
  apply(inputs: FuseInput | readonly FuseInput[], now: Date): Delta[];
  /** The fleet as of the last apply (`generatedAt` = that now; before any apply, the epoch). */
  snapshot(): Snapshot;
  /** The id of the newest delta; 0 before any. */
  lastId(): number;
  /** The deltas after `id`, or a gap when some were evicted or `id` is not one this fuse issued. */
  since(id: number): { ok: true; deltas: Delta[] } | { ok: false; reason: "gap" };
  /** Be called with each non-empty batch `apply` produces; returns the unsubscribe. */
  subscribe(listener: (deltas: Delta[]) => void): () => void;
}

const EPOCH_MS = 0;

/** Create a fuse with its own state, sequence and ring. */
export function createFuse(options?: FuseOptions): Fuse {
  const resolved = resolveOptions(options);
  const ring = createDeltaRing(resolved.ringSize);
  const listeners = new Set<(deltas: Delta[]) => void>();
  let state: FuseState = createInitialState();
  let last = 0;
  let lastNow = new Date(EPOCH_MS);

  return {
    apply(inputs, now) {
      isoOf(now); // reject an invalid Date before touching anything
      const list: readonly FuseInput[] = Array.isArray(inputs) ? inputs : [inputs as FuseInput];
      const batch: Delta[] = [];
      for (const input of list) {
        const result = reduce(state, input, now, resolved);
        state = result.state;
        for (const draft of result.deltas) {
          last += 1;
          const delta = { ...draft, id: last } as Delta;
          ring.push(delta);
          batch.push(delta);
        }
      }
      lastNow = new Date(now.getTime());
      if (batch.length > 0) {
        const errors: unknown[] = [];
        for (const listener of [...listeners]) {
          try {
            listener(batch);
          } catch (error) {
            errors.push(error);
          }
        }
        if (errors.length > 0) throw new FuseListenerError(errors);
      }
      return batch;
    },
    snapshot() {
      return toSnapshot(state, lastNow);
    },
    lastId() {
      return last;
    },
    since(id) {
      if (!Number.isInteger(id) || id < 0 || id > last) return { ok: false, reason: "gap" };
      const deltas = ring.after(id);
      return deltas === null ? { ok: false, reason: "gap" } : { ok: true, deltas };
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}
