import type { LoadingState, Snapshot } from "@catalyst/schema";

/** How {@link createSlicedSnapshot} shares the event loop. */
export interface SlicedSnapshotOptions {
  /** The loop gets a turn once a build has worked this long. @default 8 */
  sliceMs?: number;
  now?: () => number;
  /** Gives the event loop a turn (tests may count them). @default setImmediate */
  yieldToLoop?: () => Promise<void>;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A snapshot for plain reads (`/api/snapshot`) made a share at a time: `steps()` is fuse's
 * `snapshotSteps()` (one orchestrator a step), driven with a turn of the event loop after every
 * `sliceMs` of work, so a 10,000-worker fleet never holds the loop for the whole build (issue 26).
 * Reads asked for while a build is under way share it. Never for an SSE snapshot frame, which must
 * match its id.
 */
export function createSlicedSnapshot(
  steps: () => Iterator<undefined, Snapshot, undefined>,
  options: SlicedSnapshotOptions = {},
) {
  const sliceMs = options.sliceMs ?? 8;
  const now = options.now ?? (() => performance.now());
  const yieldToLoop = options.yieldToLoop ?? nextTurn;
  let building: Promise<Snapshot> | null = null;
  let builds = 0;
  let turns = 0;
  const build = async (): Promise<Snapshot> => {
    builds += 1;
    const it = steps();
    let sliceStart = now();
    for (;;) {
      const step = it.next();
      if (step.done) return step.value;
      if (now() - sliceStart >= sliceMs) {
        turns += 1;
        await yieldToLoop();
        sliceStart = now();
      }
    }
  };
  return {
    get(): Promise<Snapshot> {
      if (building !== null) return building;
      const job = build().finally(() => {
        if (building === job) building = null;
      });
      building = job;
      return job;
    },
    /** Builds started so far (for tests: work, not time). */
    builds: () => builds,
    /** Turns of the event loop the builds gave back so far (for tests). */
    turns: () => turns,
  };
}

/**
 * The snapshot marked with `loading` while the monitor loads (as {@link withLoadingState} marks
 * its feed's): the same object comes back until the snapshot or the progress moves.
 */
export function createLoadingMark(loading: () => LoadingState | null): (base: Snapshot) => Snapshot {
  let memo: { base: Snapshot; state: LoadingState; snapshot: Snapshot } | null = null;
  return (base) => {
    const state = loading();
    if (state === null) return base;
    if (memo === null || memo.base !== base || memo.state !== state) {
      memo = { base, state, snapshot: { ...base, loading: state } };
    }
    return memo.snapshot;
  };
}
