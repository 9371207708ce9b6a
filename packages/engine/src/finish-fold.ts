import { type FuseState, reduce, toSnapshot, toSnapshotSteps } from "@catalyst/fuse";
import type { Snapshot } from "@catalyst/schema";

/** The final tick is done in this many parts (each a share of the orchestrators), like the monitor's. */
const FINAL_TICK_PARTS = 16;

/** How {@link finishFold} shares the event loop. */
export interface FinishFoldOptions {
  /**
   * Give the event loop a turn whenever this many milliseconds passed since the last one (0: after
   * every step). Absent: all in one go (a CLI, which has nothing else to do meanwhile).
   */
  sliceMs?: number;
  /** Called at each turn given back (tests count them). */
  onSlice?: () => void;
}

/**
 * The end of a fold at `at`: one tick at `at` (so every stall due by then shows, as a one-shot fold
 * has it) and the snapshot. With `sliceMs`, in steps (a share of the orchestrators for the tick,
 * one orchestrator for the snapshot) with turns of the event loop in between, so a monitor
 * answering a time-travel question keeps serving at 10,000 workers.
 */
export async function finishFold(
  state: FuseState,
  at: Date,
  options: FinishFoldOptions = {},
): Promise<Snapshot> {
  const { sliceMs } = options;
  if (sliceMs === undefined) return toSnapshot(reduce(state, { kind: "tick" }, at).state, at);
  const pause = eventLoopTurns(sliceMs, options.onSlice);
  let ticked = state;
  for (let k = 0; k < FINAL_TICK_PARTS; k++) {
    ticked = reduce(ticked, { kind: "tick", part: [k, FINAL_TICK_PARTS] }, at).state;
    await pause();
  }
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
  let turn = performance.now();
  return async () => {
    if (performance.now() - turn < sliceMs) return;
    onSlice?.();
    await new Promise((resolve) => setImmediate(resolve));
    turn = performance.now();
  };
}
