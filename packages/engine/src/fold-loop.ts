import { createInitialState, type FuseState, reduce } from "@catalyst/fuse";
import type { LogRecord, Snapshot } from "@catalyst/schema";
import { finishFold, turn } from "./finish-fold.js";

export { TICK_PART } from "./finish-fold.js";

// The one fold loop of time travel (issue 25), shared by the local `foldAt` (a catalyst dir's log,
// checkpoints checked against the log's layout) and the central `foldCentralAt` (the relayed
// stream, checkpoints checked for late lines on the broker). Each brings a line source and a
// checkpoint store; the loop does the rest: start from the store's checkpoint, fold the source's
// lines in batches (replayed), lay a checkpoint before the first line of a later ts every
// `every` lines, then one tick at `at`, and the snapshot. It gives the event loop a turn after
// every batch and between the parts of the final tick, so a monitor answering `?at=` keeps
// serving (the longest stretch is one batch of lines, or one part of the fleet).

/** Where a fold starts: a checkpoint's state, its time and the lines folded into it. */
export interface FoldStart {
  atMs: number;
  lines: number;
  state: FuseState;
}

/** Where a fold's checkpoints come from and go. */
export interface FoldCheckpointStore<S extends FoldStart = FoldStart> {
  /** The latest valid checkpoint at or before `atMs` (null: fold from the beginning). */
  find(atMs: number): Promise<S | null>;
  /** Keep the state after every line with ts <= atMs (best effort: never throws). */
  save(atMs: number, lines: number, state: FuseState): Promise<void>;
  /** A checkpoint every this many lines folded. */
  every: number;
}

/** The lines of a log, in ts order. */
export interface FoldLineSource {
  /** Every line with `sinceMs < ts <= atMs` (from the first when `sinceMs` is null), in ts order. */
  read(sinceMs: number | null, atMs: number): AsyncIterable<LogRecord>;
}

/** What the loop has done so far (for a caller's progress, and tests that count the work between turns). */
export interface FoldProgress {
  /** Lines folded by this call. */
  folded: number;
  /** Orchestrators the final tick has passed over. */
  ticked: number;
}

/** Options of {@link foldWith}. */
export interface FoldWithOptions<S extends FoldStart> {
  source: FoldLineSource;
  /** Absent: no checkpoint is read or written. */
  store?: FoldCheckpointStore<S> | null;
  /** Called before each line is folded and after each part of the final tick; may throw to stop. */
  onProgress?: (progress: FoldProgress) => void;
  /** The snapshot one orchestrator a step, a turn of the event loop at least this often (see finishFold). */
  sliceMs?: number;
  /** Told each line as it joins the fold, after the checkpoint before it was laid (a store's own bookkeeping). */
  observe?: (record: LogRecord) => void;
}

/** The fleet at a time, and how it was reached. */
export interface FoldWithResult<S extends FoldStart> {
  snapshot: Snapshot;
  /** The checkpoint the fold started from (its state is the fold's and is not to be used). */
  from: Omit<S, "state"> | null;
  /** Lines folded by this call (after the checkpoint). */
  folded: number;
}

/** Lines folded by one `reduce`: also the most folded between two turns of the event loop. */
export const FOLD_BATCH = 512;

/**
 * The fleet as the source's lines had it at `at`: every line with `ts <= at` folded with
 * @catalyst/fuse (replayed, in batches of {@link FOLD_BATCH}), exactly as one fold from the start
 * would, from the store's checkpoint when it has one, then one tick at `at` (in parts of
 * {@link TICK_PART} orchestrators). Memory holds the fleet's state, never the log's lines.
 */
export async function foldWith<S extends FoldStart>(
  at: Date,
  options: FoldWithOptions<S>,
): Promise<FoldWithResult<S>> {
  const store = options.store ?? null;
  let found = store === null ? null : await store.find(at.getTime());
  let state = found ? found.state : createInitialState();
  const from = found === null ? null : (({ state: _state, ...rest }: S) => rest)(found);
  // The checkpoint's state is the fold's now, and nothing else holds on to it (an old record
  // replaced by the fold can go).
  found = null;
  const baseLines = from?.lines ?? 0;
  const every = store === null ? Number.POSITIVE_INFINITY : store.every;
  const progress: FoldProgress = { folded: 0, ticked: 0 };
  const records = options.source.read(from?.atMs ?? null, at.getTime());

  let batch: LogRecord[] = [];
  const fold = (): void => {
    if (batch.length === 0) return;
    state = reduce(state, { kind: "log-lines", records: batch, replayed: true }, at).state;
    batch = [];
  };
  let sinceCheckpoint = 0;
  let lastTs = Number.NEGATIVE_INFINITY;
  for await (const record of records) {
    options.onProgress?.(progress);
    const ts = record.event.tsMs;
    // Lines come in ts order: before the first line of a later ts, every line up to lastTs is in.
    if (store !== null && sinceCheckpoint >= every && ts > lastTs && Number.isFinite(lastTs)) {
      fold();
      await store.save(lastTs, baseLines + progress.folded, state);
      sinceCheckpoint = 0;
    }
    lastTs = ts;
    sinceCheckpoint++;
    progress.folded++;
    options.observe?.(record);
    batch.push(record);
    if (batch.length >= FOLD_BATCH) {
      fold();
      await turn();
    }
  }
  fold();
  // One tick at `at` publishes every orchestrator, as a one-shot fold does; in parts, a turn of
  // the event loop between them; then the snapshot.
  const snapshot = await finishFold(state, at, {
    ...(options.sliceMs !== undefined ? { sliceMs: options.sliceMs } : {}),
    onTicked: (orchestrators) => {
      progress.ticked += orchestrators;
      options.onProgress?.(progress);
    },
  });
  return { snapshot, from, folded: progress.folded };
}
