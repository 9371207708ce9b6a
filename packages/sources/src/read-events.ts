import { type FileHandle, open } from "node:fs/promises";
import type { LogRecord, NormalizedEvent } from "@catalyst/schema";
import { EventLogReadError } from "./errors.js";
import { listEventLogFiles } from "./event-log-files.js";
import { MinHeap } from "./min-heap.js";
import { parseLogLine } from "./parse-log-line.js";
import { createLineSplitter, type LineSplitter, type SplitItem } from "./split-lines.js";
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
/** Records per batch a file hands to the merge. */
const BATCH_RECORDS = 512;
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

type Bounds = Required<Pick<ReadEventsOptions, "skewMs" | "maxLineBytes">> & {
  sinceMs: number;
  untilMs: number;
};

/** Order within one file: time, then offset (unique in a file). */
function before(a: LogRecord, b: LogRecord): boolean {
  const ta = a.event.tsMs;
  const tb = b.event.tsMs;
  return ta < tb || (ta === tb && a.offset < b.offset);
}

/**
 * One file's records in `[since, until)`, in time order, in small batches. A record is held until
 * no later line can be older than it (the newest time seen minus the skew). Records that arrive in
 * time order (nearly all) wait in a FIFO; only a line older than the FIFO's tail (a backfill) goes
 * into the heap. Both are sorted, so the smaller of their heads comes out next.
 */
class FileReader {
  readonly #file: string;
  readonly #bounds: Bounds;
  readonly #stats: EventReadStats;
  #handle: FileHandle | null = null;
  #splitter: LineSplitter | null = null;
  #buf: Buffer | null = null;
  /** The read of the chunk after the current one, started early. */
  #ahead: Promise<{ bytesRead: number }> | null = null;
  #items: SplitItem[] = [];
  #itemAt = 0;
  #pos = 0;
  #fifo: LogRecord[] = [];
  #head = 0;
  readonly #heap = new MinHeap<LogRecord>(before);
  #newest = Number.NEGATIVE_INFINITY;
  #finished = false;

  constructor(file: string, bounds: Bounds, stats: EventReadStats) {
    this.#file = file;
    this.#bounds = bounds;
    this.#stats = stats;
  }

  /** Open the file and seek to `since`; false when it was removed since it was listed. */
  async open(): Promise<boolean> {
    let handle: FileHandle;
    try {
      handle = await open(this.#file, "r");
    } catch (error) {
      this.#finished = true;
      if (errorCode(error) === "ENOENT") return false; // pruned by gc between list and open
      throw new EventLogReadError(this.#file, { cause: error });
    }
    this.#handle = handle;
    const { skewMs, maxLineBytes, sinceMs } = this.#bounds;
    try {
      const { size } = await handle.stat();
      this.#pos = Number.isFinite(sinceMs)
        ? await seekSince(handle, this.#file, size, sinceMs, skewMs, maxLineBytes, this.#stats)
        : 0;
    } catch (error) {
      await this.close();
      throw error;
    }
    this.#splitter = createLineSplitter(this.#pos, maxLineBytes);
    this.#buf = Buffer.allocUnsafe(READ_CHUNK);
    return true;
  }

  /** The next records in order (never an empty batch), or null once the file is done and closed. */
  async next(): Promise<LogRecord[] | null> {
    const out: LogRecord[] = [];
    try {
      while (out.length === 0 && !this.#finished) {
        if (this.#itemAt >= this.#items.length) await this.#readChunk(out);
        else if (this.#takeItems(out)) await this.#end(out);
      }
    } catch (error) {
      await this.close();
      throw error;
    }
    return out.length > 0 ? out : null;
  }

  async close(): Promise<void> {
    this.#finished = true;
    this.#items = [];
    this.#itemAt = 0;
    const handle = this.#handle;
    this.#handle = null;
    // A read ahead may still be in flight into the buffer: let it land before closing.
    const ahead = this.#ahead;
    this.#ahead = null;
    if (ahead) await ahead.catch(() => {});
    this.#buf = null;
    if (handle) await handle.close();
  }

  /**
   * Read the next chunk into `#items`; at the end of the file, release everything held. The
   * splitter copies every byte it keeps, so the buffer is free at once and the next read is
   * started straight away: the disk (the thread pool) works while this thread parses.
   */
  async #readChunk(out: LogRecord[]): Promise<void> {
    const splitter = this.#splitter!;
    const buf = this.#buf!;
    const handle = this.#handle!;
    const read = this.#ahead ?? handle.read(buf, 0, READ_CHUNK, this.#pos);
    this.#ahead = null;
    const { bytesRead } = await read;
    if (bytesRead === 0) {
      // An unterminated last line counts only if it parses: a torn JSON object never does.
      const partial = splitter.takePartial();
      if (partial) this.#line(partial.text, partial.offset, true, out);
      await this.#end(out);
      return;
    }
    this.#stats.bytesRead += bytesRead;
    this.#pos += bytesRead;
    this.#items = splitter.push(buf.subarray(0, bytesRead));
    this.#itemAt = 0;
    const ahead = handle.read(buf, 0, READ_CHUNK, this.#pos);
    ahead.catch(() => {}); // awaited by the next #readChunk or by close(), which see its error
    this.#ahead = ahead;
  }

  /**
   * Parse lines of the current chunk until a batch is full. Batches stay small so that few parsed
   * records are alive at once: that keeps young-generation GC cheap. True when no later line can
   * be inside the window any more.
   */
  #takeItems(out: LogRecord[]): boolean {
    const items = this.#items;
    let i = this.#itemAt;
    while (i < items.length && out.length < BATCH_RECORDS) {
      const item = items[i++]!;
      if (item.kind === "oversized") {
        this.#stats.oversized += 1;
        continue;
      }
      if (this.#line(item.text, item.offset, false, out)) {
        // Every later line is at least `newest - skew`, so none can fall before `until` any more.
        this.#itemAt = items.length;
        return true;
      }
    }
    this.#itemAt = i;
    return false;
  }

  async #end(out: LogRecord[]): Promise<void> {
    this.#release(Number.POSITIVE_INFINITY, out);
    await this.close();
  }

  /** Take one line; true when no later line can be inside the window any more. */
  #line(text: string, offset: number, partial: boolean, out: LogRecord[]): boolean {
    const res = parseLogLine(text, this.#file, offset);
    if (!res.ok) {
      if (!res.blank && !partial) this.#stats.invalid += 1;
      return false;
    }
    const record = res.record;
    const ts = record.event.tsMs;
    if (ts > this.#newest) this.#newest = ts;
    const { sinceMs, untilMs, skewMs } = this.#bounds;
    if (ts >= sinceMs && ts < untilMs) {
      const fifo = this.#fifo;
      // Offsets grow down the file, so a time equal to the tail's still sorts after it.
      if (this.#head === fifo.length || ts >= fifo[fifo.length - 1]!.event.tsMs) fifo.push(record);
      else this.#heap.push(record);
    }
    const limit = this.#newest - skewMs;
    this.#release(limit, out);
    return limit >= untilMs;
  }

  /** Move every held record stamped at or before `limit` to `out`, smallest first. */
  #release(limit: number, out: LogRecord[]): void {
    const fifo = this.#fifo;
    const heap = this.#heap;
    let head = this.#head;
    for (;;) {
      const f = head < fifo.length ? fifo[head]! : undefined;
      const h = heap.size > 0 ? heap.peek()! : undefined;
      if (f !== undefined && (h === undefined || before(f, h))) {
        if (f.event.tsMs > limit) break;
        out.push(f);
        head++;
      } else if (h !== undefined && h.event.tsMs <= limit) {
        out.push(heap.pop()!);
      } else break;
    }
    if (head === fifo.length) {
      fifo.length = 0;
      head = 0;
    } else if (head >= 4096 && head * 2 >= fifo.length) {
      this.#fifo = fifo.slice(head);
      head = 0;
    }
    this.#head = head;
  }
}

/** One file's place in the merge: its current batch and the next record in it. */
interface Lane {
  reader: FileReader;
  source: number;
  batch: LogRecord[];
  at: number;
}

/** Merge order of two lanes' heads: time, then file (the legacy file first; lanes are distinct files). */
function laneBefore(a: Lane, b: Lane): boolean {
  const ta = a.batch[a.at]!.event.tsMs;
  const tb = b.batch[b.at]!.event.tsMs;
  return ta < tb || (ta === tb && a.source < b.source);
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * The k-way merge of every file's batches, as an async iterator that hands out records from a
 * buffered batch without a generator step per record. While one file's head stays before every
 * other file's head, its records are copied in a run; with one file left, whole batches are.
 */
class MergedEvents implements AsyncIterableIterator<LogRecord> {
  readonly #dir: string;
  readonly #bounds: Bounds;
  readonly #filter: ((e: NormalizedEvent) => boolean) | undefined;
  readonly #stats: EventReadStats;
  #out: LogRecord[] = [];
  #at = 0;
  #readers: FileReader[] = [];
  #lanes: Lane[] | null = null;
  #done = false;
  /** An error met while filling: thrown once the records before it have been handed out. */
  #error: { error: unknown } | null = null;
  /** Calls waiting behind a fill; next() takes the fast path only when there are none. */
  #pending = 0;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(
    dir: string,
    bounds: Bounds,
    filter: ((e: NormalizedEvent) => boolean) | undefined,
    stats: EventReadStats,
  ) {
    this.#dir = dir;
    this.#bounds = bounds;
    this.#filter = filter;
    this.#stats = stats;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<LogRecord>> {
    if (this.#pending === 0 && this.#at < this.#out.length) {
      return Promise.resolve({ done: false, value: this.#out[this.#at++]! });
    }
    return this.#serial(() => this.#nextSlow());
  }

  return(): Promise<IteratorResult<LogRecord>> {
    return this.#serial(async () => {
      await this.#close();
      return DONE;
    });
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    this.#pending++;
    const run = this.#chain.then(async () => {
      try {
        return await fn();
      } finally {
        this.#pending--;
      }
    });
    this.#chain = run.catch(() => {});
    return run;
  }

  async #nextSlow(): Promise<IteratorResult<LogRecord>> {
    while (this.#at >= this.#out.length) {
      if (this.#error) {
        const { error } = this.#error;
        this.#error = null;
        await this.#close();
        throw error;
      }
      if (this.#done) return DONE;
      this.#out = [];
      this.#at = 0;
      try {
        await this.#fill(this.#out);
      } catch (error) {
        this.#error = { error };
      }
    }
    return { done: false, value: this.#out[this.#at++]! };
  }

  async #close(): Promise<void> {
    this.#done = true;
    this.#out = [];
    this.#at = 0;
    this.#lanes = [];
    const readers = this.#readers;
    this.#readers = [];
    const results = await Promise.allSettled(readers.map((r) => r.close()));
    for (const r of results) if (r.status === "rejected") throw r.reason;
  }

  async #start(): Promise<Lane[]> {
    const files = await listEventLogFiles(this.#dir);
    this.#stats.files = files.length;
    const lanes: Lane[] = [];
    this.#lanes = lanes;
    for (const [source, file] of files.entries()) {
      const reader = new FileReader(file, this.#bounds, this.#stats);
      this.#readers.push(reader);
      if (!(await reader.open())) continue;
      const batch = await reader.next();
      if (batch) lanes.push({ reader, source, batch, at: 0 });
    }
    return lanes;
  }

  /** Append the next records to `out`: at least one unless the log is done. */
  async #fill(out: LogRecord[]): Promise<void> {
    const lanes = this.#lanes ?? (await this.#start());
    const filter = this.#filter;
    for (;;) {
      // Every lane must show its next record before any comparison; a refill waits for a later
      // call when there is already something to hand out.
      for (let i = 0; i < lanes.length; i++) {
        const lane = lanes[i]!;
        if (lane.at < lane.batch.length) continue;
        if (out.length > 0) return;
        const batch = await lane.reader.next();
        if (batch) {
          lane.batch = batch;
          lane.at = 0;
        } else {
          lanes.splice(i, 1);
          i--;
        }
      }
      if (lanes.length === 0) {
        this.#done = true;
        return;
      }
      let best = lanes[0]!;
      let second: Lane | undefined;
      for (let i = 1; i < lanes.length; i++) {
        const lane = lanes[i]!;
        if (laneBefore(lane, best)) {
          second = best;
          best = lane;
        } else if (second === undefined || laneBefore(lane, second)) second = lane;
      }
      const batch = best.batch;
      let i = best.at;
      if (second === undefined) {
        // One file left: its whole batch is next.
        for (; i < batch.length; i++) {
          const r = batch[i]!;
          if (filter === undefined || filter(r.event)) out.push(r);
        }
      } else {
        // A run from `best` while it stays before the other files' smallest head.
        const limit = second.batch[second.at]!.event.tsMs;
        const bestFirst = best.source < second.source;
        for (; i < batch.length; i++) {
          const r = batch[i]!;
          const ts = r.event.tsMs;
          if (ts > limit || (ts === limit && !bestFirst)) break;
          if (filter === undefined || filter(r.event)) out.push(r);
        }
      }
      best.at = i;
    }
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
  const bounds: Bounds = {
    skewMs: options.skewMs ?? DEFAULT_SKEW_MS,
    maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
    sinceMs: options.since ? options.since.getTime() : Number.NEGATIVE_INFINITY,
    untilMs: options.until ? options.until.getTime() : Number.POSITIVE_INFINITY,
  };
  const filter = options.filter;
  return {
    stats,
    [Symbol.asyncIterator]: () => new MergedEvents(catalystDir, bounds, filter, stats),
  };
}
