import { type FileHandle, open } from "node:fs/promises";
import type { LogRecord, NormalizedEvent } from "@catalyst/schema";
import { EventLogReadError } from "./errors.js";
import { listEventLogFiles } from "./event-log-files.js";
import { MinHeap } from "./min-heap.js";
import { parseLogLine } from "./parse-log-line.js";
import { createLineSplitter, type SplitItem } from "./split-lines.js";
import { errorCode } from "./text-files.js";

/** Options of {@link readEvents}. */
export interface ReadEventsOptions {
  /** Inclusive lower bound on `ts` (`>=`, FORMATS §4.5). */
  since?: Date;
  /** Exclusive upper bound on `ts`. */
  until?: Date;
  filter?: (e: NormalizedEvent) => boolean;
  /** How much older than its neighbours a backfilled line may be and still be found. @default 300_000 */
  skewMs?: number;
  /** Lines longer than this are skipped and counted. @default 1 MiB */
  maxLineBytes?: number;
}

/** Counters of one {@link readEvents} pass, updated as it streams. */
export interface EventReadStats {
  invalid: number;
  oversized: number;
  files: number;
  bytesRead: number;
}

/** @default skew tolerance of readEvents */
export const DEFAULT_SKEW_MS = 300_000;
/** @default line cap of the log readers */
export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

const READ_CHUNK = 1024 * 1024;
const PROBE_CHUNK = 16 * 1024;
/** Below this window the binary search stops and reading goes linear. */
const LINEAR_WINDOW = 64 * 1024;

async function* readItems(
  handle: FileHandle,
  start: number,
  chunkSize: number,
  maxLineBytes: number,
  stats: EventReadStats,
): AsyncGenerator<SplitItem & { partial?: true }> {
  const splitter = createLineSplitter(start, maxLineBytes);
  const buf = Buffer.allocUnsafe(chunkSize);
  let pos = start;
  for (;;) {
    const { bytesRead } = await handle.read(buf, 0, chunkSize, pos);
    if (bytesRead === 0) break;
    stats.bytesRead += bytesRead;
    pos += bytesRead;
    yield* splitter.push(buf.subarray(0, bytesRead));
  }
  // An unterminated last line is yielded only if it parses: a torn JSON object never does.
  const partial = splitter.takePartial();
  if (partial) yield { kind: "line", offset: partial.offset, text: partial.text, partial: true };
}

/**
 * The timestamp of the first valid line that starts at or after `at` and before `end`, or null.
 * Reading starts one byte early so that a line starting exactly at `at` is seen whole.
 */
async function probe(
  handle: FileHandle,
  file: string,
  at: number,
  end: number,
  maxLineBytes: number,
  stats: EventReadStats,
): Promise<{ offset: number; tsMs: number } | null> {
  let first = true;
  for await (const item of readItems(handle, at - 1, PROBE_CHUNK, maxLineBytes, stats)) {
    if (first) {
      first = false; // the tail of the line that `at - 1` falls in (empty when it is a newline)
      continue;
    }
    if (item.offset >= end) return null;
    if (item.kind !== "line") continue;
    const res = parseLogLine(item.text, file, item.offset);
    if (res.ok) return { offset: item.offset, tsMs: res.record.event.tsMs };
  }
  return null;
}

/**
 * Binary search on byte offsets for a safe place to start reading: a line start before which no
 * line can be at or after `sinceMs`. A line may be up to `skewMs` older than the lines before it,
 * so any line stamped earlier than `sinceMs - skewMs` is such a place; offset 0 always is.
 */
export async function seekSince(
  handle: FileHandle,
  file: string,
  size: number,
  sinceMs: number,
  skewMs: number,
  maxLineBytes: number,
  stats: EventReadStats,
): Promise<number> {
  const target = sinceMs - skewMs;
  let lo = 0;
  let hi = size;
  while (hi - lo > LINEAR_WINDOW) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const found = await probe(handle, file, mid, hi, maxLineBytes, stats);
    if (found && found.tsMs < target) lo = found.offset;
    else hi = mid;
  }
  return lo;
}

interface Pending {
  record: LogRecord;
  source: number;
}

function earlier(a: Pending, b: Pending): boolean {
  const ta = a.record.event.tsMs;
  const tb = b.record.event.tsMs;
  if (ta !== tb) return ta < tb;
  if (a.source !== b.source) return a.source < b.source;
  return a.record.offset < b.record.offset;
}

/**
 * One file's records in `[since, until)`, in time order: lines are held in a heap until no later
 * line can be older than them (the newest seen minus the skew).
 */
async function* readFileInOrder(
  file: string,
  source: number,
  options: Required<Pick<ReadEventsOptions, "skewMs" | "maxLineBytes">> & {
    sinceMs: number;
    untilMs: number;
  },
  stats: EventReadStats,
): AsyncGenerator<Pending> {
  let handle: FileHandle;
  try {
    handle = await open(file, "r");
  } catch (error) {
    if (errorCode(error) === "ENOENT") return; // pruned by gc between list and open
    throw new EventLogReadError(file, { cause: error });
  }
  try {
    const { size } = await handle.stat();
    const { skewMs, maxLineBytes, sinceMs, untilMs } = options;
    const start = Number.isFinite(sinceMs)
      ? await seekSince(handle, file, size, sinceMs, skewMs, maxLineBytes, stats)
      : 0;
    // In-order records (the usual case) queue in a FIFO; only a line older than the FIFO's tail
    // (a backfill) goes into the heap. Both are sorted, so the smaller head is the next record.
    const heap = new MinHeap<Pending>(earlier);
    const fifo: Pending[] = [];
    let head = 0;
    let newest = Number.NEGATIVE_INFINITY;
    for await (const item of readItems(handle, start, READ_CHUNK, maxLineBytes, stats)) {
      if (item.kind === "oversized") {
        stats.oversized += 1;
        continue;
      }
      const res = parseLogLine(item.text, file, item.offset);
      if (!res.ok) {
        if (!res.blank && !item.partial) stats.invalid += 1;
        continue;
      }
      const ts = res.record.event.tsMs;
      if (ts > newest) newest = ts;
      if (ts >= sinceMs && ts < untilMs) {
        const pending = { record: res.record, source };
        // Offsets grow down the file, so a time equal to the tail's still sorts after it.
        if (head === fifo.length || ts >= fifo[fifo.length - 1]!.record.event.tsMs) fifo.push(pending);
        else heap.push(pending);
      }
      const limit = newest - skewMs;
      for (;;) {
        const f = fifo[head];
        const h = heap.peek();
        if (f !== undefined && (h === undefined || earlier(f, h))) {
          if (f.record.event.tsMs > limit) break;
          head++;
          yield f;
        } else if (h !== undefined && h.record.event.tsMs <= limit) {
          yield heap.pop()!;
        } else break;
      }
      if (head === fifo.length) {
        fifo.length = 0;
        head = 0;
      } else if (head >= 1024 && head * 2 >= fifo.length) {
        fifo.splice(0, head);
        head = 0;
      }
      // Every later line is at least `newest - skew`, so none can fall before `until` any more.
      if (newest - skewMs >= untilMs) break;
    }
    for (;;) {
      const f = fifo[head];
      const h = heap.peek();
      if (f !== undefined && (h === undefined || earlier(f, h))) {
        head++;
        yield f;
      } else if (h !== undefined) yield heap.pop()!;
      else break;
    }
  } finally {
    await handle.close();
  }
}

/**
 * Stream event-log records (legacy `events.jsonl` and `events/YYYY-MM.jsonl`) in time order across
 * files, `since` inclusive and `until` exclusive. Each file is entered by binary search on byte
 * offsets, never read whole; invalid and oversized lines are skipped and counted in `stats`.
 */
export function readEvents(
  catalystDir: string,
  options: ReadEventsOptions = {},
): AsyncIterable<LogRecord> & { readonly stats: EventReadStats } {
  const stats: EventReadStats = { invalid: 0, oversized: 0, files: 0, bytesRead: 0 };
  const resolved = {
    skewMs: options.skewMs ?? DEFAULT_SKEW_MS,
    maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
    sinceMs: options.since ? options.since.getTime() : Number.NEGATIVE_INFINITY,
    untilMs: options.until ? options.until.getTime() : Number.POSITIVE_INFINITY,
  };
  const filter = options.filter;

  async function* generate(): AsyncGenerator<LogRecord> {
    const files = await listEventLogFiles(catalystDir);
    stats.files = files.length;
    // k-way merge: the legacy file may overlap the monthly ones.
    const streams = files.map((f, i) => readFileInOrder(f, i, resolved, stats));
    const heads = new MinHeap<Pending>(earlier);
    const bySource = new Map<number, AsyncGenerator<Pending>>();
    try {
      for (const [i, s] of streams.entries()) {
        bySource.set(i, s);
        const next = await s.next();
        if (!next.done) heads.push(next.value);
      }
      while (heads.size > 0) {
        const top = heads.pop()!;
        if (!filter || filter(top.record.event)) yield top.record;
        const next = await bySource.get(top.source)!.next();
        if (!next.done) heads.push(next.value);
      }
    } finally {
      await Promise.all(streams.map((s) => s.return(undefined)));
    }
  }

  return {
    stats,
    [Symbol.asyncIterator]: () => generate(),
  };
}
