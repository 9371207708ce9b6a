import type { Delta, FuseInput, Snapshot } from "@catalyst/schema";
import { createDeltaRing } from "./delta-ring.js";
import { FuseOptionsError } from "./errors.js";
import { type FuseOptions, resolveOptions } from "./options.js";
import { reduceBatch } from "./reduce.js";
import { createInitialState, type FuseState } from "./state.js";
import { createTargetIndex, type PollTargets } from "./target-index.js";
import { isoOf } from "./time.js";
import { toSnapshot, toSnapshotSteps } from "./to-snapshot.js";

/** How `apply` treats a batch. */
export interface ApplyOptions {
  /**
   * Publish each orchestrator the batch touches once, not once per input: the inputs that only
   * store a read (orchestrator-added, signal, phase-signal, local-state, briefing, global-state,
   * liveness) are taken in first and their views rebuilt together, before the next input of another
   * kind and at the end; so are replayed `log-lines` that read no published view (each line's
   * `lineFoldReach` is not `views`). Meant for a first read of a fleet (20 signal files of one orchestrator
   * rebuild it once, not 20 times). The snapshot afterwards is the one applying the inputs one by
   * one gives; the deltas describe the batch in fewer steps: a worker read twice is sent once, with
   * its last view, and what held only part-way (a wave complete for one input) is not reported.
   * @default false
   */
  coalesce?: boolean;
}

/** The stateful wrapper apps and tools use: sequencing, a resumable ring, and fan-out. */
export interface Fuse {
  /** Reduce the inputs in order, give the deltas increasing ids (1, 2, 3, …), store and publish them. */
  apply(inputs: FuseInput | readonly FuseInput[], now: Date, options?: ApplyOptions): Delta[];
  /** The fleet as of the last apply (`generatedAt` = that now; before any apply, the epoch). */
  snapshot(): Snapshot;
  /**
   * {@link Fuse.snapshot} in steps, for a caller that must not hold its event loop for a whole
   * large fleet: each `next()` adds one orchestrator, and the last returns the snapshot
   * `snapshot()` gave at the first `next()` (equal to it, and the very same object when it was
   * already made; then there is no step at all). Applies in between do not change what the steps
   * return; a finished snapshot of the still current state is kept for `snapshot()` to hand out.
   */
  snapshotSteps(): Generator<undefined, Snapshot, undefined>;
  /** The id of the newest delta; `idBase` (0 by default) before any. */
  lastId(): number;
  /** The deltas after `id`, or a gap when some were evicted or `id` is not one this fuse issued. */
  since(id: number): { ok: true; deltas: Delta[] } | { ok: false; reason: "gap" };
  /** Be called with each non-empty batch `apply` produces; returns the unsubscribe. */
  subscribe(listener: (deltas: Delta[]) => void): () => void;
  /**
   * The pids and PRs worth polling, kept from the deltas as they are made (O(1) per worker
   * change); `version` grows only when a list changed, so a caller re-tracks only then.
   */
  targets(): PollTargets;
}

const EPOCH_MS = 0;

/** Options of `createFuse`: the shared fuse options plus where its sequence starts. */
export interface CreateFuseOptions extends FuseOptions {
  /**
   * The first delta gets `idBase + 1`. A long-lived app passes something that grows across restarts
   * (the start time in ms × 1000, say), so a client still holding an id from an earlier process gets
   * a gap, and therefore a fresh snapshot, instead of deltas from a sequence it never saw.
   * @default 0
   */
  idBase?: number;
  /**
   * Gets the error of a subscriber that threw. Every subscriber is still called and `apply` still
   * returns its deltas (they are stored before anyone is notified).
   * @default rethrow the error on a later microtask, where the host's uncaught-error handling sees it
   */
  onListenerError?: (error: unknown) => void;
}

function rethrowLater(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}

/** Create a fuse with its own state, sequence and ring. */
export function createFuse(options?: CreateFuseOptions): Fuse {
  const resolved = resolveOptions(options);
  const idBase = options?.idBase ?? 0;
  const onListenerError = options?.onListenerError ?? rethrowLater;
  if (!Number.isSafeInteger(idBase) || idBase < 0) {
    throw new FuseOptionsError("idBase", "a safe integer >= 0", idBase);
  }
  const ring = createDeltaRing(resolved.ringSize, resolved.ringBytes);
  const targets = createTargetIndex();
  // One snapshot per state and time: many callers (SSE clients, /api/snapshot) share it.
  let memo: { state: FuseState; nowMs: number; snapshot: Snapshot } | null = null;
  const listeners = new Set<(deltas: Delta[]) => void>();
  let state: FuseState = createInitialState();
  let last = idBase;
  let lastNow = new Date(EPOCH_MS);

  return {
    apply(inputs, now, applyOptions) {
      isoOf(now); // reject an invalid Date before touching anything
      const list: readonly FuseInput[] = Array.isArray(inputs) ? inputs : [inputs as FuseInput];
      const batch: Delta[] = [];
      // The state is private to this fuse (snapshots and deltas never hold its record table).
      const result = reduceBatch(state, list, now, resolved, true, applyOptions?.coalesce === true);
      state = result.state;
      for (const draft of result.deltas) {
        last += 1;
        const delta = { ...draft, id: last } as Delta;
        ring.push(delta);
        targets.apply(delta);
        batch.push(delta);
      }
      lastNow = new Date(now.getTime());
      if (batch.length > 0) {
        for (const listener of [...listeners]) {
          try {
            listener(batch);
          } catch (error) {
            onListenerError(error);
          }
        }
      }
      return batch;
    },
    snapshot() {
      if (memo === null || memo.state !== state || memo.nowMs !== lastNow.getTime()) {
        memo = { state, nowMs: lastNow.getTime(), snapshot: toSnapshot(state, lastNow) };
      }
      return memo.snapshot;
    },
    *snapshotSteps() {
      const at = state;
      const now = lastNow;
      if (memo !== null && memo.state === at && memo.nowMs === now.getTime()) return memo.snapshot;
      const snapshot = yield* toSnapshotSteps(at, now);
      // Still current (no apply came between the steps): `snapshot()` hands out this one.
      if (state === at && lastNow === now) memo = { state: at, nowMs: now.getTime(), snapshot };
      return snapshot;
    },
    targets: () => targets.current(),
    lastId() {
      return last;
    },
    since(id) {
      if (!Number.isInteger(id) || id < idBase || id > last) return { ok: false, reason: "gap" };
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
