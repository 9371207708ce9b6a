import { type FuseState, reduce, toSnapshot, toSnapshotSteps } from "@catalyst/fuse";
import type { Snapshot } from "@catalyst/schema";

/** Orchestrators re-derived by one part of the final tick, between two turns of the event loop. */
export const TICK_PART = 32;

/** How {@link finishFold} shares the event loop. */
export interface FinishFoldOptions {
  /**
   * While building the snapshot (one orchestrator a step), give the event loop a turn whenever this
   * many milliseconds passed since the last one (0: after every step). Absent: the snapshot in one
   * go (a CLI, which has nothing else to do meanwhile).
   */
  sliceMs?: number;
  /** Called at each turn given back (tests count them). */
  onSlice?: () => void;
  /** Called after each part of the final tick with the orchestrators it re-derived. */
  onTicked?: (orchestrators: number) => void;
}

/** One turn of the event loop (what the fold loop and its tail give back between pieces of work). */
export const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The end of a fold at `at`: one tick at `at` (so every stall due by then shows, as a one-shot fold
 * has it), in parts of {@link TICK_PART} orchestrators (those at places k, k + n, … of the record
 * table) with a turn of the event loop between parts, then the snapshot (with `sliceMs`, one
 * orchestrator a step with turns in between), so a monitor answering a time-travel question keeps
 * serving at 10,000 workers. Equal to `toSnapshot(reduce(state, tick), at)`.
 */
export async function finishFold(
  state: FuseState,
  at: Date,
  options: FinishFoldOptions = {},
): Promise<Snapshot> {
  const count = Object.keys(state.orchestrators).length;
  const parts = Math.max(1, Math.ceil(count / TICK_PART));
  let ticked = state;
  for (let k = 0; k < parts; k++) {
    if (k > 0) {
      options.onSlice?.();
      await turn();
    }
    ticked = reduce(ticked, { kind: "tick", part: [k, parts] }, at).state;
    options.onTicked?.(k < count ? Math.floor((count - 1 - k) / parts) + 1 : 0);
  }
  if (options.sliceMs === undefined) return toSnapshot(ticked, at);
  const pause = eventLoopTurns(options.sliceMs, options.onSlice);
  const steps = toSnapshotSteps(ticked, at);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await pause();
  }
}

/**
 * A function to call between pieces of work: it gives the event loop a turn (setImmediate) once
 * `sliceMs` passed since the last one (0: every call), calling `onSlice` when it does.
 */
export function eventLoopTurns(sliceMs: number, onSlice?: () => void): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < sliceMs) return;
    onSlice?.();
    await turn();
    last = performance.now();
  };
}
