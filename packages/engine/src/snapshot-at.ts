import type { Snapshot } from "@catalyst/schema";
import type { LogLayout, ReadEvents, ReadLogLayout } from "@catalyst/sources/event-log";
import { readEvents, readLogLayout } from "@catalyst/sources/event-log";
import { type FoldAtResult, foldAt, logSignature } from "./fold-at.js";

/** Options of {@link createTimeTravel}. */
export interface TimeTravelOptions {
  catalystDir: string;
  /** Where the log index and the fold checkpoints are kept (absent: every answer folds from the start). */
  cacheDir?: string;
  /** Answers kept (default 4): the same time asked again over an unchanged log is not folded again. */
  cached?: number;
  /** Questions waiting behind the fold in progress at most (default 8); more are refused. */
  maxWaiting?: number;
  /** The log readers (tests). */
  readers?: { readEvents: ReadEvents; readLogLayout: ReadLogLayout };
}

/** While finishing an answer, the event loop gets a turn at least this often (see finishFold). */
const SLICE_MS = 10;

/** A fleet as it was: a {@link Snapshot} with `at` set, folded from the event log alone. */
export type HistoricalSnapshot = Snapshot & { at: string };

/** Thrown when more than `maxWaiting` questions wait: the caller should try again later. */
export class TimeTravelBusyError extends Error {
  constructor(waiting: number) {
    super(`${waiting} time-travel answers are already being worked out; try again shortly`);
    this.name = "TimeTravelBusyError";
  }
}

/**
 * One answer at a time, in the order asked, with at most `maxWaiting` questions behind the one in
 * progress; more are refused with {@link TimeTravelBusyError}. Shared by the local and the central
 * time travel.
 */
export function oneAtATime<T>(
  maxWaiting: number,
  answer: (at: Date) => Promise<T>,
): (at: Date) => Promise<T> {
  let chain: Promise<unknown> = Promise.resolve();
  let waiting = 0;
  return (at) => {
    if (waiting > maxWaiting) return Promise.reject(new TimeTravelBusyError(waiting));
    waiting++;
    const run = chain.then(() => answer(at));
    chain = run.catch(() => {});
    return run.finally(() => {
      waiting--;
    });
  };
}

/** The time-travel service of a monitor: see {@link createTimeTravel}. */
export interface TimeTravel {
  /**
   * The fleet at `at`. One fold at a time; the last `cached` answers are kept while the log's files
   * stay the same. Throws {@link TimeTravelBusyError} when too many wait, and what the log readers
   * throw (an unreadable log names its path).
   */
  snapshotAt(
    at: Date,
  ): Promise<HistoricalSnapshot & { unreadable?: readonly { file: string; reason: string }[] }>;
  /** Answers computed, answers served from the cache (for tests and health). */
  counts(): { folds: number; cacheHits: number };
}

/**
 * Time travel for a long-lived process (the monitor's `GET /api/snapshot?at=`): {@link foldAt}
 * from the nearest fold checkpoint, bounded: one fold at a time (each holds one fleet state), a
 * few questions waiting at most, and the last few answers cached by time and the log's signature
 * (a file appended to, replaced or added is a new signature, so a backfilled line is never missed).
 */
export function createTimeTravel(options: TimeTravelOptions): TimeTravel {
  const readers = options.readers ?? { readEvents, readLogLayout };
  const capacity = Math.max(0, options.cached ?? 4);
  const maxWaiting = Math.max(0, options.maxWaiting ?? 8);
  const cache = new Map<string, Awaited<ReturnType<TimeTravel["snapshotAt"]>>>();
  let folds = 0;
  let cacheHits = 0;

  const answer = async (at: Date): Promise<Awaited<ReturnType<TimeTravel["snapshotAt"]>>> => {
    const read = options.cacheDir !== undefined ? { indexDir: options.cacheDir } : {};
    const layout: LogLayout = await readers.readLogLayout(options.catalystDir, read);
    const key = `${at.getTime()}\0${logSignature(layout)}`;
    const hit = cache.get(key);
    if (hit !== undefined) {
      cacheHits++;
      cache.delete(key); // most recently used last
      cache.set(key, hit);
      return hit;
    }
    const result: FoldAtResult = await foldAt(options.catalystDir, at, {
      ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
      layout,
      readers,
      // The final tick and the snapshot a share at a time: the monitor keeps serving meanwhile.
      sliceMs: SLICE_MS,
    });
    folds++;
    const value = {
      ...result.snapshot,
      at: at.toISOString(),
      ...(result.stats.unreadable ? { unreadable: result.stats.unreadable } : {}),
    };
    if (capacity > 0) {
      cache.set(key, value);
      while (cache.size > capacity) cache.delete(cache.keys().next().value as string);
    }
    return value;
  };

  return {
    snapshotAt: oneAtATime(maxWaiting, answer),
    counts: () => ({ folds, cacheHits }),
  };
}
