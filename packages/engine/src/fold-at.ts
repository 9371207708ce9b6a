import { resolve } from "node:path";
import type { NormalizedEvent, Snapshot } from "@catalyst/schema";
import {
  type EventReadStats,
  type IndexProgress,
  type LogLayout,
  type ReadEvents,
  type ReadLogLayout,
  readEvents,
  readLogLayout,
} from "@catalyst/sources/event-log";
import { removeSupersededCaches } from "./cache-cleanup.js";
import {
  addReasons,
  CHECKPOINT_LINES,
  type Checkpoint,
  checkpointDir,
  coverage,
  findCheckpoint,
  MAX_CHECKPOINTS,
  saveCheckpoint,
} from "./fold-checkpoints.js";
import { type FoldCheckpointStore, type FoldLineSource, foldWith } from "./fold-loop.js";

/** Options of {@link foldAt}. */
export interface FoldAtOptions {
  /**
   * The user cache dir: the log index and the fold checkpoints live there. Absent: the index is
   * kept in memory only and no checkpoint is read or written (every call folds from the start).
   */
  cacheDir?: string;
  /** Also read rotated `*.legacy*` month files. */
  includeLegacy?: boolean;
  /** Progress of indexing a part of the log read for the first time. */
  onProgress?: (progress: IndexProgress) => void;
  /** Fold only the events it keeps (a narrowed fleet: no checkpoint is read or written then). */
  filter?: (event: NormalizedEvent) => boolean;
  /** A checkpoint every this many lines folded (default {@link CHECKPOINT_LINES}). */
  checkpointLines?: number;
  /** Checkpoints kept per catalyst dir (default {@link MAX_CHECKPOINTS}). */
  maxCheckpoints?: number;
  /**
   * Called with the read's counters before each line is folded; throw from it to stop the fold
   * (catalyst-replay's `--strict` stops at the first malformed line).
   */
  onRecord?: (stats: EventReadStats) => void;
  /** The log's layout when the caller has just read it (see {@link logSignature}). */
  layout?: LogLayout;
  /**
   * While building the snapshot (one orchestrator a step), give the event loop a turn at least this
   * often (ms). Absent: the snapshot in one go (a CLI). The fold itself always turns after every
   * batch of lines and between parts of the final tick (fold-loop.ts, finish-fold.ts).
   */
  sliceMs?: number;
  /** The log readers (tests pass their own for races they cannot provoke). Default: @catalyst/sources'. */
  readers?: { readEvents: ReadEvents; readLogLayout: ReadLogLayout };
}

/** What {@link foldAt} read, over the whole log up to `at` (a checkpoint's counts included). */
export interface FoldAtStats {
  invalid: number;
  invalidReasons?: Readonly<Record<string, number>>;
  oversized: number;
  files: number;
  bytesRead: number;
  bytesIndexed: number;
  indexSaveError?: string;
  unreadable?: readonly { file: string; reason: string }[];
  unreadableCount: number;
}

/** The fleet at a time, and how it was reached. */
export interface FoldAtResult {
  snapshot: Snapshot;
  stats: FoldAtStats;
  /** The time of the checkpoint the fold started from, null when it started from the beginning. */
  checkpointMs: number | null;
  /** Lines folded by this call (after the checkpoint). */
  folded: number;
}

/**
 * The fleet as the event log had it at `at`: every line with `ts <= at` folded with
 * @catalyst/fuse, exactly as one fold from the start would (the log alone: no signal files, no
 * pollers). From the latest valid fold checkpoint at or before `at` when `cacheDir` is given, and
 * leaving new ones behind every `checkpointLines` lines. Memory holds the fleet's state, never the
 * log's events. Throws what the log readers throw (`EventLogReadError` naming the path).
 */
export async function foldAt(
  catalystDir: string,
  at: Date,
  options: FoldAtOptions = {},
): Promise<FoldAtResult> {
  const readers = options.readers ?? { readEvents, readLogLayout };
  const read = {
    ...(options.cacheDir !== undefined ? { indexDir: options.cacheDir } : {}),
    ...(options.includeLegacy ? { includeLegacy: true } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  };
  let checkpoints: { dir: string; layout: LogLayout } | null = null;
  if (options.cacheDir !== undefined) await removeSupersededCaches(options.cacheDir, catalystDir);
  if (options.filter === undefined && options.cacheDir !== undefined) {
    const layout = options.layout ?? (await readers.readLogLayout(catalystDir, read));
    if ((layout.stats.unreadableCount ?? 0) === 0)
      checkpoints = { dir: checkpointDir(options.cacheDir, catalystDir), layout };
  }
  const absolute = resolve(catalystDir);
  let records: ReturnType<ReadEvents> | null = null;
  const source: FoldLineSource = {
    read: (sinceMs, atMs) => {
      records = readers.readEvents(catalystDir, {
        ...(sinceMs !== null ? { since: new Date(sinceMs + 1) } : {}),
        // `until` is exclusive; the fleet "at" a time includes what happened in that millisecond.
        until: new Date(atMs + 1),
        ...(options.filter ? { filter: options.filter } : {}),
        ...read,
      });
      return records;
    },
  };
  const store: FoldCheckpointStore<Checkpoint> | null =
    checkpoints === null
      ? null
      : {
          every: options.checkpointLines ?? CHECKPOINT_LINES,
          find: async (atMs) => {
            const { dir, layout } = checkpoints!;
            const from = await findCheckpoint(dir, atMs, layout);
            // A block before it that no read has parsed whole may hold more malformed lines than its
            // byte scan counted: fold from the start this once (the read verifies the blocks it takes).
            if (from && layout.files.some((f) => f.blocks.some((b) => b.unverified && b.maxTs <= from.atMs)))
              return null;
            return from;
          },
          save: async (atMs, lines, state) => {
            const stats = records!.stats;
            await saveCheckpoint(
              checkpoints!.dir,
              {
                v: 4,
                dir: absolute,
                atMs,
                files: coverage(checkpoints!.layout),
                // The read's counters when written (informational: an answer counts from the layout).
                invalid: stats.invalid,
                invalidReasons: stats.invalidReasons ?? {},
                oversized: stats.oversized,
                lines,
              },
              state,
              options.maxCheckpoints ?? MAX_CHECKPOINTS,
            );
          },
        };
  const onRecord = options.onRecord;
  const result = await foldWith(at, {
    source,
    store,
    ...(onRecord ? { onProgress: () => onRecord(records!.stats) } : {}),
    ...(options.sliceMs !== undefined ? { sliceMs: options.sliceMs } : {}),
  });
  const stats = (records as ReturnType<ReadEvents> | null)!.stats;
  // The lines before the checkpoint are its state; their malformed lines are counted from the
  // layout, as the blocks a read from the start would have counted.
  const before = result.from && checkpoints ? countedBefore(checkpoints.layout, result.from.atMs) : null;
  const reasons = addReasons(before?.invalidReasons, stats.invalidReasons);
  return {
    snapshot: result.snapshot,
    stats: {
      invalid: (before?.invalid ?? 0) + stats.invalid,
      ...(reasons ? { invalidReasons: reasons } : {}),
      oversized: (before?.oversized ?? 0) + stats.oversized,
      files: stats.files,
      bytesRead: stats.bytesRead,
      bytesIndexed: stats.bytesIndexed ?? 0,
      ...(stats.indexSaveError !== undefined ? { indexSaveError: stats.indexSaveError } : {}),
      ...(stats.unreadable && stats.unreadable.length > 0 ? { unreadable: stats.unreadable } : {}),
      unreadableCount: stats.unreadableCount ?? 0,
    },
    checkpointMs: result.from?.atMs ?? null,
    folded: result.folded,
  };
}

/**
 * A short text that changes whenever the log's files change (one added, removed, replaced, grown
 * or shrunk): what a cache of answers over the log keys them with.
 */
export function logSignature(layout: LogLayout): string {
  let h = 0x811c9dc5;
  for (const f of layout.files) {
    const text = `${f.file}\0${f.dev}\0${f.ino}\0${f.head}\0${f.length}\n`;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  }
  return `${layout.files.length}:${(h >>> 0).toString(16)}`;
}

/**
 * The malformed lines a read from the start counts and a read from just after `atMs` does not:
 * those of the blocks that hold a valid line and end at or before `atMs` (a block with no valid
 * line is counted by every read; one reaching past `atMs` by the read from the checkpoint too).
 * So the counts of an answer from a checkpoint are those of a full fold, wherever the checkpoint
 * fell inside a block.
 */
function countedBefore(
  layout: LogLayout,
  atMs: number,
): { invalid: number; oversized: number; invalidReasons?: Checkpoint["invalidReasons"] } {
  let invalid = 0;
  let oversized = 0;
  let invalidReasons: Record<string, number> | undefined;
  for (const f of layout.files)
    for (const b of f.blocks) {
      if (!Number.isFinite(b.minTs) || b.maxTs > atMs) continue;
      invalid += b.invalid;
      oversized += b.oversized;
      if (b.reasons)
        for (const [reason, n] of Object.entries(b.reasons)) {
          invalidReasons ??= {};
          invalidReasons[reason] = (invalidReasons[reason] ?? 0) + (n ?? 0);
        }
    }
  return {
    invalid,
    oversized,
    ...(invalidReasons ? { invalidReasons: invalidReasons as Checkpoint["invalidReasons"] } : {}),
  };
}
