import { isUtf8 } from "node:buffer";
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import type { EventLineProblem, LogRecord, NormalizedEvent } from "@catalyst/schema";
import { describeReadError, EventLogReadError } from "./errors.js";
import { listEventLogFilesSync } from "./event-log-files.js";
import { defaultIndexWorkers, IndexPool, IndexPoolUnavailable } from "./index-pool.js";
import {
  blockCount,
  DEFAULT_BLOCK_BYTES,
  type ExtendResult,
  extendFileIndex,
  type FileIndex,
  type IndexBlock,
  type IndexManifest,
  type IndexProgress,
  loadFileIndex,
  loadIndexManifest,
  loadUnchangedIndex,
  manifestIndex,
  manifestSpan,
  saveFileIndex,
  saveIndexManifest,
} from "./log-index.js";
import { createLimiter, mapLimited } from "./map-limited.js";
import type { LineParsers, parseLogLine } from "./parse-log-line.js";
import { scanFirstTs, scanTs } from "./scan-ts.js";
import { errorCode } from "./text-files.js";

/** Options of {@link readEvents} and {@link readEventBytes}. */
export interface ReadEventsOptions {
  /** Inclusive lower bound on `ts` (`>=`, FORMATS §4.5). */
  since?: Date;
  /** Exclusive upper bound on `ts`. */
  until?: Date;
  /** Keep only the events it accepts (readEvents only: it needs parsed fields). */
  filter?: (e: NormalizedEvent) => boolean;
  /** Lines longer than this are skipped and counted. @default 1 MiB */
  maxLineBytes?: number;
  /**
   * Where the per-block `ts` index is kept between runs (see `resolveCacheDir`); never the catalyst
   * dir. Without it each run indexes every file again in memory (one parse of the whole log).
   */
  indexDir?: string;
  /** Called while a file is being indexed (a first run, or the unindexed end of a growing file). */
  onProgress?: (progress: IndexProgress) => void;
  /** Target size of an index block (tests make it small to get many blocks). @default 256 KiB */
  blockBytes?: number;
  /** At most this many log files are open at once. @default 16 */
  maxOpenFiles?: number;
  /**
   * Also read the rotated-aside `events/YYYY-MM.jsonl.legacy*` files (FORMATS-TODAY R1.2), merged
   * by `ts` with the rest. They are not the live log (R1.3), so the default leaves them out.
   * @default false
   */
  includeLegacy?: boolean;
  /**
   * Worker threads that index files in parallel (a first run, or files that grew a lot): started
   * only when a file has at least `indexWorkerMinBytes` to index, at most this many, one file at a
   * time each. 0 indexes on the calling thread. The result is the same either way.
   * @default the cores there are, at most 4
   */
  indexWorkers?: number;
  /** A file with fewer bytes than this to index is indexed on the calling thread. @default 1 MiB */
  indexWorkerMinBytes?: number;
}

/** Counters of one read, updated as it streams. */
export interface EventReadStats {
  /** Invalid lines in the blocks the window touches (and in blocks with no valid line). */
  invalid: number;
  /** `invalid` by reason: not JSON, no name (`unknown-shape`), no `ts`, a dual name mismatch, … */
  invalidReasons?: Partial<Record<EventLineProblem, number>>;
  oversized: number;
  files: number;
  /** Bytes read from the log files: indexing plus the blocks read for output. */
  bytesRead: number;
  /** Bytes indexed in this run (0 when every file's index was current). */
  bytesIndexed: number;
  /** Of `bytesIndexed`, those indexed by worker threads, and how many workers were started. */
  bytesIndexedInWorkers?: number;
  indexWorkers?: number;
  /** Set when the index could not be saved to `indexDir` (the read still works). */
  indexSaveError?: string;
  /**
   * Log files that could not be read (permission denied, a symlink loop, a directory or FIFO named
   * like a month file), with the reason: the read goes on without them, so the answer is complete
   * except for these. At most 100 are named; `unreadableCount` counts them all.
   */
  unreadable: { file: string; reason: string }[];
  unreadableCount: number;
}

/** @default line cap of the log readers */
export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;
const DEFAULT_MAX_OPEN_FILES = 16;
/** Files stat-ed in a row (synchronously) before the event loop gets a turn. */
const SYNC_STATS_PER_TURN = 64;
/** Below this, handing a file to a worker costs more than indexing it here. */
const DEFAULT_WORKER_MIN_BYTES = 1024 * 1024;
/** Records per batch handed out by readEvents; bytes per chunk by readEventBytes. */
const BATCH_RECORDS = 512;
const BATCH_BYTES = 256 * 1024;
/** Bytes of blocks read ahead of the merge (a few blocks: enough to keep the disk busy). */
const READ_AHEAD_BYTES = 2 * 1024 * 1024;
const MAX_FREE_BUFFERS = 16;
/** Blocks read ahead at most (thousands of tiny month files must not mean thousands of reads). */
const READ_AHEAD_BLOCKS = 32;
const MAX_NAMED_UNREADABLE = 100;
/** Bytes of blocks read synchronously, at most, before the first batch is handed out. */
const SYNC_FIRST_BYTES = 1024 * 1024;
/** Errors of the process, not of a file: the read fails with a clear error rather than skip files. */
const PROCESS_ERRORS = new Set(["EMFILE", "ENFILE", "ENOMEM"]);

/** A block of one file in the merge. */
interface PoolBlock {
  source: number;
  file: string;
  block: IndexBlock;
}

/** A block read into memory, with the lines still to hand out in (ts, offset) order. */
interface Loaded {
  pb: PoolBlock;
  buf: Buffer;
  /** Not split into lines yet: pure, sorted and wholly inside the window. */
  whole: boolean;
  starts: number[];
  ends: number[];
  ts: number[];
  records: (LogRecord | undefined)[];
  /** Line indices to hand out, in order; `at` is the next one. */
  order: number[];
  at: number;
}

type Mode = "records" | "bytes";

/** How the readers get the line parser: statically from the main door, lazily from `./event-log`. */
export type LoadParser = () => Promise<LineParsers>;

/**
 * Open handles, least recently used closed first: never one per file for thousands of files. A
 * handle in use by a read is never closed under it; the cap may be passed for a moment when every
 * open handle is busy.
 */
class HandleCache {
  readonly #max: number;
  readonly #open = new Map<string, { handle: Promise<FileHandle>; users: number }>();
  readonly #waiting: (() => void)[] = [];
  /** The most handles open at once so far (tests check the bound with it). */
  peak = 0;
  constructor(max: number) {
    this.#max = Math.max(1, max);
  }
  async use<T>(file: string, fn: (handle: FileHandle) => Promise<T>): Promise<T> {
    // At the cap with every handle busy: wait for one to be released (never open past the cap).
    while (!this.#open.has(file) && this.#open.size >= this.#max) {
      this.#trim(this.#max - 1);
      if (this.#open.size < this.#max) break;
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    let entry = this.#open.get(file);
    if (entry)
      this.#open.delete(file); // re-inserted below: most recently used last
    else {
      const handle = open(file, "r");
      handle.catch(() => {});
      entry = { handle, users: 0 };
    }
    this.#open.set(file, entry);
    if (this.#open.size > this.peak) this.peak = this.#open.size;
    entry.users++;
    try {
      return await fn(await entry.handle);
    } catch (error) {
      if (this.#open.get(file) === entry) this.#open.delete(file); // do not keep a failed open
      throw error;
    } finally {
      entry.users--;
      this.#trim(this.#max);
      this.#waiting.shift()?.();
    }
  }
  #trim(max: number): void {
    for (const [file, entry] of this.#open) {
      if (this.#open.size <= max) return;
      if (entry.users > 0) continue;
      this.#open.delete(file);
      void entry.handle.then((h) => h.close()).catch(() => {});
    }
  }
  async closeAll(): Promise<void> {
    const all = [...this.#open.values()];
    this.#open.clear();
    await Promise.allSettled(all.map(async (e) => (await e.handle).close()));
  }
}

/** A block's buffer: a spare one reused whole, or a new one with some room to fit the next blocks too. */
function blockBuffer(size: number, spare: Buffer | undefined): Buffer {
  return spare !== undefined && spare.length >= size
    ? spare.subarray(0, size)
    : Buffer.allocUnsafeSlow(size + (size >> 3)).subarray(0, size);
}

async function readBlock(handles: HandleCache, pb: PoolBlock, spare: Buffer | undefined): Promise<Buffer> {
  const { start, end } = pb.block;
  const size = end - start;
  const buf = blockBuffer(size, spare);
  try {
    return await handles.use(pb.file, async (handle) => {
      let got = 0;
      while (got < size) {
        const { bytesRead } = await handle.read(buf, got, size - got, start + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got === size ? buf : buf.subarray(0, got);
    });
  } catch (error) {
    throw new EventLogReadError(pb.file, { cause: error });
  }
}

/**
 * A block read with synchronous calls (open, read, close): for the first batch of a query only,
 * so that a warm query writes its first line before anything starts the thread pool (whose start
 * the main thread waits for: 10–30 ms on a busy box).
 */
function readBlockSync(pb: PoolBlock, spare: Buffer | undefined): Buffer {
  const { start, end } = pb.block;
  const size = end - start;
  const buf = blockBuffer(size, spare);
  let fd: number | undefined;
  try {
    fd = openSync(pb.file, "r");
    let got = 0;
    while (got < size) {
      const n = readSync(fd, buf, got, size - got, start + got);
      if (n === 0) break;
      got += n;
    }
    return got === size ? buf : buf.subarray(0, got);
  } catch (error) {
    throw new EventLogReadError(pb.file, { cause: error });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Merge order of blocks: smallest `ts` first, then file, then offset. */
function poolBefore(a: PoolBlock, b: PoolBlock): number {
  return a.block.minTs - b.block.minTs || a.source - b.source || a.block.start - b.block.start;
}

/**
 * The exact merge. Every file has a sparse per-block min/max `ts` index; the blocks that can hold
 * a line inside `[since, until)` are taken in order of their smallest `ts`, and a block is read
 * only once the output has reached that `ts`, so the lines in memory are those of the blocks whose
 * time ranges overlap the current output time (one or two for a log written in order, whatever a
 * few lines stamped 1970 or 2099 do). Lines come out in (ts, file, offset) order: the same set a
 * full scan filtered by `ts` gives, in time order.
 */
class LogQuery {
  readonly #dir: string;
  readonly #sinceMs: number;
  readonly #untilMs: number;
  readonly #filter: ((e: NormalizedEvent) => boolean) | undefined;
  readonly #options: ReadEventsOptions;
  readonly #mode: Mode;
  readonly stats: EventReadStats;
  readonly #handles: HandleCache;
  #pool: PoolBlock[] | null = null;
  #poolAt = 0;
  /** Reads started ahead of the merge, in pool order: at most READ_AHEAD_BYTES in flight. */
  #ahead: { at: number; bytes: number; data: Promise<Buffer> }[] = [];
  /** Block buffers free for the next reads, and those the last batch handed out may still show. */
  #free: Buffer[] = [];
  #lent: Buffer[] = [];
  #active: Loaded[] = [];
  #done = false;
  /** Sources with blocks verified by this read, and each source's index (to save them). */
  readonly #verified = new Set<number>();
  /** Indexes built or extended by this read, saved when it closes. */
  readonly #unsaved = new Set<FileIndex>();
  #fileIndexes: (FileIndex | null)[] = [];
  /** The files this read lists (indexed or not). */
  #files: readonly string[] = [];
  /** Files scanned on this thread at once (the others wait, their handles open: within the cap). */
  readonly #scanGate = createLimiter(2);
  /** Index worker threads, while #indexAll runs. */
  #workers: IndexPool | null = null;
  /** Set by layout(): nothing will be read, so no parser is worth loading ahead. */
  #layoutOnly = false;
  /**
   * The first batches are small and each is twice the last, up to the full size: a caller that
   * wants ten lines (a limit-10 page, `| head`) reads the blocks of about ten lines, and the
   * first line goes out early, while a long read soon works in full batches.
   */
  #batchRecords = 16;
  #batchBytes = 16 * 1024;
  #grow(): void {
    this.#batchRecords = Math.min(BATCH_RECORDS, this.#batchRecords * 2);
    this.#batchBytes = Math.min(BATCH_BYTES, this.#batchBytes * 2);
  }
  /**
   * The line parser (and with it the schema and zod), loaded only when something needs parsing:
   * indexing, or a block that is not pure, or records. A jsonl run over an indexed, plain log
   * never loads it.
   */
  #parse: typeof parseLogLine | null = null;
  #parsers: LineParsers | null = null;

  readonly #loadParser: LoadParser;
  /**
   * The index manifest of the dir (undefined: not read yet; null: none usable or not used). Only
   * a process's first query over a dir reads and writes it: later ones find the files in memory
   * (`memoryIndex`), and a monitor answering queries while its log grows must not rewrite the
   * whole manifest after each append.
   */
  #manifest: IndexManifest | null | undefined = undefined;
  #useManifest = false;
  /** Some file's index came from elsewhere than the manifest: write it again. */
  #manifestStale = false;
  /** Files stat-ed synchronously since the last turn given to the event loop. */
  #syncStats = 0;
  /**
   * Bytes that may still be read synchronously, without read-ahead, until the first batch is
   * handed out (see readBlockSync); 0 from then on.
   */
  #syncBytes = SYNC_FIRST_BYTES;

  constructor(
    dir: string,
    options: ReadEventsOptions,
    mode: Mode,
    stats: EventReadStats,
    loadParser: LoadParser,
  ) {
    this.#loadParser = loadParser;
    this.#dir = dir;
    this.#options = options;
    this.#sinceMs = options.since ? options.since.getTime() : Number.NEGATIVE_INFINITY;
    this.#untilMs = options.until ? options.until.getTime() : Number.POSITIVE_INFINITY;
    this.#filter = mode === "records" ? options.filter : undefined;
    this.#mode = mode;
    this.stats = stats;
    this.#handles = new HandleCache(options.maxOpenFiles ?? DEFAULT_MAX_OPEN_FILES);
  }

  async close(): Promise<void> {
    this.#done = true;
    // Closed while indexing (a daemon stopping): stop the workers before any handle they read closes.
    await this.#workers?.close();
    // Save what this read verified (see #split), so the next one needs no parser for those blocks.
    const toSave = new Set<FileIndex>();
    for (const source of this.#verified) {
      const index = this.#fileIndexes[source];
      if (index) toSave.add(index);
    }
    this.#verified.clear();
    await this.#save(toSave);
    this.#active = [];
    this.#pool = [];
    const ahead = this.#ahead;
    this.#ahead = [];
    await Promise.allSettled(ahead.map((a) => a.data));
    this.#free = [];
    this.#lent = [];
    await this.#handles.closeAll();
  }

  /** Index (or check the index of) every file: each file's blocks, in listing order. */
  async layout(): Promise<LogLayout> {
    this.#layoutOnly = true;
    const { files, perFile } = await this.#indexAll();
    // Saved here too (a read saves them in #start): the layout may be all a caller reads of the
    // files past its window (time travel), and they must not be indexed again by every later run.
    const unsaved = new Set(this.#unsaved);
    this.#unsaved.clear();
    await this.#save(unsaved);
    return {
      files: files.map((file, i) => {
        const index = this.#fileIndexes[i] ?? null;
        const blocks = perFile[i] ?? index?.blocks ?? [];
        return {
          file,
          dev: index?.dev ?? 0,
          ino: index?.ino ?? 0,
          head: index?.head ?? "",
          length: blocks.reduce((n, b) => Math.max(n, b.end), 0),
          blocks: blocks.map((b) => ({
            start: b.start,
            end: b.end,
            minTs: b.minTs,
            maxTs: b.maxTs,
            invalid: b.invalid,
            oversized: b.oversized,
            ...(b.reasons ? { reasons: { ...b.reasons } } : {}),
            ...(b.unverified ? { unverified: true as const } : {}),
          })),
        };
      }),
      stats: this.stats,
    };
  }

  /**
   * Every file's blocks, in listing order; a file whose index came from the manifest has none here
   * (undefined): its index's `blocks`, made on first use, are its blocks.
   */
  async #indexAll(): Promise<{ files: string[]; perFile: (IndexBlock[] | undefined)[] }> {
    if (this.#options.indexDir !== undefined && !manifestDirs.has(this.#dir)) {
      this.#useManifest = true;
      if (manifestDirs.size >= MANIFEST_DIRS) manifestDirs.clear();
      manifestDirs.add(this.#dir);
    }
    const files = listEventLogFilesSync(this.#dir, {
      includeLegacy: this.#options.includeLegacy === true,
      throwOnUnlistable: true,
      onSkipped: (file, reason) => this.#unreadable(file, reason),
    });
    this.stats.files = files.length;
    this.#files = files;
    // Check (or build) the files' indexes a few at a time: with a current index this is a handful
    // of small reads per file, and the latency of thousands of them in a row is the time to first line.
    const perFile: (IndexBlock[] | undefined)[] = new Array(files.length);
    this.#fileIndexes = new Array(files.length).fill(null);
    // Files to index go to worker threads when there are cores (started only when a file needs
    // one). Newest first: the files a late window reads are indexed first (and the longest jobs,
    // the biggest of a growing log, start first).
    this.#workers = new IndexPool(this.#options.indexWorkers ?? defaultIndexWorkers());
    let nextFile = files.length - 1;
    const worker = async (): Promise<void> => {
      while (nextFile >= 0) {
        const i = nextFile--;
        const { blocks, index, fromManifest } = await this.#indexOne(files[i]!);
        // An index from elsewhere than the manifest: write the manifest again. A file that could
        // not be indexed (unreadable) has none and changes nothing in it.
        if (index !== null && fromManifest !== true) this.#manifestStale = true;
        perFile[i] = blocks;
        this.#fileIndexes[i] = index;
      }
    };
    const width = Math.min(files.length, this.#options.maxOpenFiles ?? DEFAULT_MAX_OPEN_FILES);
    try {
      await Promise.all(Array.from({ length: width }, worker));
    } finally {
      const pool = this.#workers;
      this.#workers = null;
      await pool.close();
      if (pool.started > 0) this.stats.indexWorkers = (this.stats.indexWorkers ?? 0) + pool.started;
    }
    return { files, perFile };
  }

  /**
   * Write indexes to `indexDir`, 16 at a time, then the dir's manifest when it is out of date; a
   * cache dir that cannot be written is noted once.
   */
  async #save(indexes: Set<FileIndex>): Promise<void> {
    const indexDir = this.#options.indexDir;
    if (indexDir === undefined) return;
    await mapLimited([...indexes], DEFAULT_MAX_OPEN_FILES, async (index) => {
      try {
        await saveFileIndex(indexDir, index);
      } catch (error) {
        this.stats.indexSaveError ??= error instanceof Error ? error.message : String(error);
      }
    });
    if (!this.#useManifest || (!this.#manifestStale && indexes.size === 0)) return;
    this.#manifestStale = false;
    // Not noted when it cannot be written: the per-file indexes are what a read needs (their
    // saves say so), and a read-only cache of current ones is read as before, one file each.
    await saveIndexManifest(indexDir, this.#dir, this.#fileIndexes, this.#files).catch(() => {});
  }

  async #start(): Promise<PoolBlock[]> {
    const { files, perFile } = await this.#indexAll();
    // Saved before the first line goes out: a read cut short (`| head`) still leaves its index.
    const unsaved = new Set(this.#unsaved);
    this.#unsaved.clear();
    await this.#save(unsaved);
    const pool: PoolBlock[] = [];
    for (const [source, file] of files.entries()) {
      const index = this.#fileIndexes[source] ?? null;
      let blocks = perFile[source];
      if (blocks === undefined && index !== null) {
        // From the manifest: a file wholly outside the window, with no block of only bad lines
        // (those count whatever the window), adds nothing; its block objects are never made.
        const span = manifestSpan(index);
        if (span && !span.empty && (span.maxTs < this.#sinceMs || span.minTs >= this.#untilMs)) continue;
        blocks = index.blocks;
      }
      for (const block of blocks ?? []) {
        if (!Number.isFinite(block.minTs)) {
          // No valid line: nothing to read, but its bad lines still count.
          this.#count(block);
          continue;
        }
        if (block.maxTs < this.#sinceMs || block.minTs >= this.#untilMs) continue;
        this.#count(block);
        pool.push({ source, file, block });
      }
    }
    pool.sort(poolBefore);
    return pool;
  }

  #count(block: IndexBlock): void {
    this.stats.invalid += block.invalid;
    this.stats.oversized += block.oversized;
    if (block.reasons) {
      this.stats.invalidReasons ??= {};
      const into = this.stats.invalidReasons;
      for (const [reason, n] of Object.entries(block.reasons) as [EventLineProblem, number][])
        into[reason] = (into[reason] ?? 0) + n;
    }
  }

  #unreadable(file: string, reason: string): void {
    this.stats.unreadableCount++;
    if (this.stats.unreadable.length < MAX_NAMED_UNREADABLE) this.stats.unreadable.push({ file, reason });
  }

  async #indexOne(
    file: string,
  ): Promise<{ blocks?: IndexBlock[]; index: FileIndex | null; fromManifest?: true }> {
    const { indexDir, onProgress } = this.#options;
    const maxLineBytes = this.#options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    const blockBytes = this.#options.blockBytes ?? DEFAULT_BLOCK_BYTES;
    // A file unchanged since this process last indexed it (same inode, size, mtime and ctime): its
    // blocks are known without opening it. A long-lived monitor answers each query with one stat
    // per file and the blocks the window needs.
    let key: string | null = null;
    let statKey: string | undefined;
    try {
      // A sync stat is a few microseconds where the promise one is a thread-pool round trip (a
      // good part of a warm query's time to its first line); the event loop gets a turn every 64.
      if (++this.#syncStats >= SYNC_STATS_PER_TURN) {
        this.#syncStats = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      const st = statSync(file);
      statKey = `${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
      key = `${st.dev}:${st.ino}:${statKey}:${maxLineBytes}:${blockBytes}`;
      const known = memoryIndex.get(file);
      if (known !== undefined && known.key === key) {
        memoryIndex.delete(file); // most recently used last
        memoryIndex.set(file, known);
        return known.blocks === undefined
          ? { index: known.index }
          : { blocks: known.blocks, index: known.index };
      }
      // Unchanged since it was indexed (by any process): the stored index, without opening the file.
      if (indexDir !== undefined && st.isFile()) {
        const info = { dev: st.dev, ino: st.ino, size: st.size, statKey };
        // The manifest first: one file read for all, no JSON per block.
        if (this.#manifest === undefined)
          this.#manifest = this.#useManifest ? loadIndexManifest(indexDir, this.#dir) : null;
        const listed = this.#manifest && manifestIndex(this.#manifest, file, info, maxLineBytes, blockBytes);
        if (listed) {
          remember(file, key, undefined, listed);
          return { index: listed, fromManifest: true };
        }
        const stored = await loadUnchangedIndex(indexDir, file, info, maxLineBytes, blockBytes);
        if (stored) {
          remember(file, key, stored.blocks, stored);
          return { blocks: stored.blocks, index: stored };
        }
      }
    } catch (error) {
      if (errorCode(error) === "ENOENT") return NONE; // pruned between list and stat
      if (PROCESS_ERRORS.has(errorCode(error) ?? "")) throw new EventLogReadError(file, { cause: error });
      this.#unreadable(file, describeReadError(error));
      return NONE;
    }
    let handle: FileHandle;
    try {
      handle = await open(file, "r");
    } catch (error) {
      if (errorCode(error) === "ENOENT") return NONE; // pruned between list and open
      if (PROCESS_ERRORS.has(errorCode(error) ?? "")) throw new EventLogReadError(file, { cause: error });
      this.#unreadable(file, describeReadError(error));
      return NONE;
    }
    try {
      const st = await handle.stat();
      if (!st.isFile()) {
        this.#unreadable(file, "not a regular file");
        return NONE;
      }
      const info = { dev: st.dev, ino: st.ino, size: st.size };
      let prev: FileIndex | null = null;
      if (indexDir !== undefined)
        prev = await loadFileIndex(indexDir, handle, file, info, maxLineBytes, blockBytes);
      if (prev && prev.indexedEnd === info.size) {
        remember(file, key, prev.blocks, prev);
        if (indexDir !== undefined && statKey !== undefined && prev.statKey !== statKey) {
          // Current by its fingerprints but stamped with another stat (touched, or an older index):
          // stamp it, so that the next run need not open the file.
          prev.statKey = statKey;
          await saveFileIndex(indexDir, prev).catch(() => {});
        }
        return { blocks: prev.blocks, index: prev };
      }
      const progress = onProgress ? (p: IndexProgress) => onProgress(p) : undefined;
      let extended: ExtendResult | null = null;
      const pool = this.#workers;
      const minBytes = this.#options.indexWorkerMinBytes ?? DEFAULT_WORKER_MIN_BYTES;
      if (pool?.available && info.size - (prev?.indexedEnd ?? 0) >= minBytes) {
        // The worker reads this handle's descriptor; it stays open until the reply (or until the
        // pool is closed, which waits for its workers to stop).
        const job = { fd: handle.fd, file, info, prev, maxLineBytes, blockBytes };
        // Meanwhile this thread loads the line parser the output will need (a new index's blocks
        // are parsed when read): its compile overlaps the scan instead of following it.
        if (this.#mode === "records" || !this.#layoutOnly) void this.#parser().catch(() => {});
        try {
          extended = await pool.run(
            job,
            progress ? (done, total) => progress({ file, done, total }) : undefined,
          );
          this.stats.bytesIndexedInWorkers = (this.stats.bytesIndexedInWorkers ?? 0) + extended.bytesRead;
        } catch (error) {
          if (!(error instanceof IndexPoolUnavailable)) throw error;
          if (this.#done) return NONE;
        }
      }
      // On this thread the scan is CPU work: two files at a time keep the disk busy, and more
      // would only hold more fresh 1 MiB chunk buffers (page faults, GC) for no speed.
      extended ??= await this.#scanGate(() =>
        extendFileIndex(handle, file, info, prev, maxLineBytes, blockBytes, () => this.#checker(), progress),
      );
      const { index, partial, bytesRead } = extended;
      this.stats.bytesRead += bytesRead;
      this.stats.bytesIndexed += bytesRead;
      // Stamped with the stat it describes when the file did not move while it was read.
      const after = await handle.stat();
      const still = after.size === info.size && after.mtimeMs === st.mtimeMs;
      if (still && statKey !== undefined && index.indexedEnd === info.size) index.statKey = statKey;
      // Saved once every file is indexed (#start), 16 at a time.
      if (indexDir !== undefined && index.indexedEnd > (prev?.indexedEnd ?? -1)) this.#unsaved.add(index);
      const blocks = partial ? [...index.blocks, partial] : index.blocks;
      // Remembered only when the file did not move while it was read (the key is from before).
      if (still) remember(file, key, blocks, index);
      return { blocks, index };
    } catch (error) {
      if (error instanceof EventLogReadError) throw error;
      const code = errorCode(error);
      if (code !== undefined && !PROCESS_ERRORS.has(code)) {
        // EISDIR, EIO, EACCES on read: this file is left out and named; the others are read.
        this.#unreadable(file, describeReadError(error));
        return NONE;
      }
      throw new EventLogReadError(file, { cause: error });
    } finally {
      await handle.close().catch(() => {});
    }
  }

  async #parser(): Promise<typeof parseLogLine> {
    this.#parsers ??= await this.#loadParser();
    this.#parse = this.#parsers.parseLogLine;
    return this.#parse;
  }

  async #checker(): Promise<LineParsers["checkLogLine"]> {
    this.#parsers ??= await this.#loadParser();
    return this.#parsers.checkLogLine;
  }

  #headTs(l: Loaded): number {
    return l.whole ? l.pb.block.minTs : l.ts[l.order[l.at]!]!;
  }

  #headOffset(l: Loaded): number {
    return l.pb.block.start + (l.whole ? 0 : l.starts[l.order[l.at]!]!);
  }

  /** a's head before b's head in (ts, file, offset) order. */
  #before(a: Loaded, b: Loaded): boolean {
    const ta = this.#headTs(a);
    const tb = this.#headTs(b);
    if (ta !== tb) return ta < tb;
    if (a.pb.source !== b.pb.source) return a.pb.source < b.pb.source;
    return this.#headOffset(a) < this.#headOffset(b);
  }

  async #loadNext(pool: PoolBlock[]): Promise<void> {
    const at = this.#poolAt++;
    const pb = pool[at]!;
    const head = this.#ahead[0];
    let data: Promise<Buffer>;
    if (head !== undefined && head.at === at) {
      this.#ahead.shift();
      data = head.data;
    } else if (this.#syncBytes >= pb.block.end - pb.block.start) {
      // Before the first batch: this block alone, synchronously, and no read-ahead yet.
      this.#syncBytes -= pb.block.end - pb.block.start;
      await this.#addLoaded(pb, readBlockSync(pb, this.#free.pop()));
      return;
    } else data = readBlock(this.#handles, pb, this.#free.pop());
    this.#syncBytes = 0;
    // Bounded read-ahead: the next blocks in merge order, read while this one is handed out.
    let inFlight = this.#ahead.reduce((n, a) => n + a.bytes, 0);
    let next = this.#ahead.length > 0 ? this.#ahead[this.#ahead.length - 1]!.at + 1 : at + 1;
    while (next < pool.length && inFlight < READ_AHEAD_BYTES && this.#ahead.length < READ_AHEAD_BLOCKS) {
      const block = pool[next]!.block;
      const read = readBlock(this.#handles, pool[next]!, this.#free.pop());
      read.catch(() => {});
      this.#ahead.push({ at: next, bytes: block.end - block.start, data: read });
      inFlight += block.end - block.start;
      next++;
    }
    await this.#addLoaded(pb, await data);
  }

  async #addLoaded(pb: PoolBlock, buf: Buffer): Promise<void> {
    this.stats.bytesRead += buf.length;
    const b = pb.block;
    const inside = b.minTs >= this.#sinceMs && b.maxTs < this.#untilMs;
    const loaded: Loaded = {
      pb,
      buf,
      whole: this.#mode === "bytes" && b.pure && b.sorted && inside && buf.length === b.end - b.start,
      starts: [],
      ends: [],
      ts: [],
      records: [],
      order: [],
      at: 0,
    };
    if (!loaded.whole && (this.#mode === "records" || !b.pure)) await this.#parser();
    if (!loaded.whole) this.#split(loaded);
    if (loaded.whole || loaded.order.length > 0) this.#active.push(loaded);
    else this.#lent.push(buf);
  }

  /** Cut a loaded block into lines, find each line's `ts` (from bytes when pure), order them. */
  #split(l: Loaded): void {
    const { buf, pb } = l;
    const base = pb.block.start;
    const pure = pb.block.pure;
    const unverified = pb.block.unverified === true;
    const since = this.#sinceMs;
    const until = this.#untilMs;
    // An unverified block read whole is verified on the way (every line is parsed here anyway):
    // its exact flags replace the byte scan's, and the index is saved so later runs copy it as is.
    const verify = unverified && !pb.block.partial && buf.length === pb.block.end - pb.block.start;
    const seen = {
      pure: verify && isUtf8(buf),
      invalid: 0,
      reasons: {} as Partial<Record<EventLineProblem, number>>,
      min: Infinity,
      max: -Infinity,
      sorted: true,
      last: -Infinity,
    };
    let i = 0;
    while (i < buf.length) {
      let nl = buf.indexOf(10, i);
      if (nl === -1) nl = buf.length; // the partial last line
      const index = l.starts.length;
      let ts: number;
      let record: LogRecord | undefined;
      if (pure) ts = scanTs(buf, i, nl);
      else {
        let text = buf.toString("utf8", i, nl);
        if (text.endsWith("\r")) text = text.slice(0, -1);
        const res = this.#parse!(text, pb.file, base + i);
        ts = res.ok ? res.record.event.tsMs : Number.NaN;
        if (res.ok) record = res.record;
        // An unverified block counted only the lines its byte scan parsed: count the others now
        // (with their reasons, so the counts by reason are exact too).
        else if (unverified && !res.blank && Number.isFinite(scanFirstTs(buf, i, nl))) {
          this.stats.invalid++;
          this.stats.invalidReasons ??= {};
          const into = this.stats.invalidReasons;
          into[res.reason] = (into[res.reason] ?? 0) + 1;
        }
        if (verify) {
          if (!res.ok) {
            seen.pure = false;
            if (!res.blank) {
              seen.invalid++;
              seen.reasons[res.reason] = (seen.reasons[res.reason] ?? 0) + 1;
            }
          } else if (Number.isFinite(ts)) {
            if (ts < seen.min) seen.min = ts;
            if (ts > seen.max) seen.max = ts;
            if (ts < seen.last) seen.sorted = false;
            seen.last = ts;
            if (seen.pure && (buf[nl - 1] === 13 || nl === buf.length || scanTs(buf, i, nl) !== ts))
              seen.pure = false;
          } else seen.pure = false;
        }
      }
      l.starts.push(i);
      l.ends.push(nl);
      l.ts.push(ts);
      l.records.push(record);
      if (ts >= since && ts < until) l.order.push(index);
      i = nl + 1;
    }
    if (verify) {
      const b = pb.block;
      b.pure = seen.pure;
      b.sorted = seen.sorted;
      b.invalid = seen.invalid;
      if (seen.invalid > 0) b.reasons = seen.reasons;
      else delete b.reasons;
      b.minTs = seen.min;
      b.maxTs = seen.max;
      delete b.unverified;
      this.#verified.add(pb.source);
    }
    if (!pb.block.sorted) {
      const order = l.order;
      const tsOf = l.ts;
      order.sort((a, b) => tsOf[a]! - tsOf[b]! || a - b);
    }
    l.whole = false;
    l.at = 0;
  }

  /** Fill `out` with the next lines (records or byte slices); false once the log is done. */
  async fill(out: (LogRecord | Buffer)[]): Promise<boolean> {
    if (this.#done) return false;
    // The caller is done with what the last batch showed: those buffers can be read into again.
    for (const b of this.#lent.splice(0)) {
      // The whole allocation behind the block's view (each was allocated on its own).
      if (this.#free.length < MAX_FREE_BUFFERS)
        this.#free.push(Buffer.from(b.buffer, 0, b.buffer.byteLength));
    }
    if (this.#pool === null) this.#pool = await this.#start();
    const pool = this.#pool;
    const active = this.#active;
    let size = 0;
    for (;;) {
      // Read every block that could hold a line before the smallest head in memory.
      while (this.#poolAt < pool.length) {
        let best: Loaded | undefined;
        for (const l of active) if (best === undefined || this.#before(l, best)) best = l;
        if (best !== undefined && pool[this.#poolAt]!.block.minTs > this.#headTs(best)) break;
        await this.#loadNext(pool);
      }
      if (active.length === 0) {
        this.#done = true;
        await this.close();
        return out.length > 0;
      }
      let best = active[0]!;
      let second: Loaded | undefined;
      for (let k = 1; k < active.length; k++) {
        const l = active[k]!;
        if (this.#before(l, best)) {
          second = best;
          best = l;
        } else if (second === undefined || this.#before(l, second)) second = l;
      }
      const poolMin = this.#poolAt < pool.length ? pool[this.#poolAt]!.block.minTs : Number.POSITIVE_INFINITY;
      if (best.whole) {
        const limit = Math.min(poolMin, second ? this.#headTs(second) : Number.POSITIVE_INFINITY);
        if (best.pb.block.maxTs < limit) {
          // A run of whole lines, all inside the window, before anything else: copy it as it is.
          out.push(best.buf);
          size += best.buf.length;
          active.splice(active.indexOf(best), 1);
          this.#lent.push(best.buf);
        } else {
          if (!best.pb.block.pure) await this.#parser();
          this.#split(best);
        }
      } else {
        size += this.#emitRun(best, second, poolMin, out);
        if (best.at >= best.order.length) {
          active.splice(active.indexOf(best), 1);
          this.#lent.push(best.buf);
        }
      }
      if (this.#mode === "bytes" ? size >= this.#batchBytes : out.length >= this.#batchRecords) {
        this.#grow();
        this.#syncBytes = 0;
        return true;
      }
    }
  }

  /** Hand out `best`'s lines while they stay before `second`'s head and every unread block. */
  #emitRun(best: Loaded, second: Loaded | undefined, poolMin: number, out: (LogRecord | Buffer)[]): number {
    const { order, ts, starts, ends, buf, pb } = best;
    const sTs = second ? this.#headTs(second) : Number.POSITIVE_INFINITY;
    const sSource = second ? second.pb.source : 0;
    const sOffset = second ? this.#headOffset(second) : 0;
    const base = pb.block.start;
    const filter = this.#filter;
    let size = 0;
    let k = best.at;
    for (; k < order.length; k++) {
      const i = order[k]!;
      const t = ts[i]!;
      if (t >= poolMin) break;
      if (
        t > sTs ||
        (t === sTs && (pb.source > sSource || (pb.source === sSource && base + starts[i]! > sOffset)))
      )
        break;
      if (this.#mode === "bytes") {
        // Pure lines end in a bare `\n`; a parsed line is written as its text plus `\n`.
        const record = best.records[i];
        const piece =
          record === undefined
            ? buf.subarray(starts[i]!, Math.min(ends[i]! + 1, buf.length))
            : Buffer.from(`${record.text}\n`);
        out.push(piece);
        size += piece.length;
      } else {
        let record = best.records[i];
        if (record === undefined) {
          const res = this.#parse!(buf.toString("utf8", starts[i]!, ends[i]!), pb.file, base + starts[i]!);
          if (!res.ok) continue; // cannot happen for a pure block of an unchanged file
          record = res.record;
        }
        best.records[i] = undefined;
        if (filter === undefined || filter(record.event)) out.push(record);
      }
      if (out.length >= BATCH_RECORDS * 4) {
        k++;
        break;
      }
    }
    // A run always makes progress: the head is before `second` and before every unread block.
    best.at = k;
    return size;
  }
}

/** The iterator over a LogQuery's batches, without a generator step per item. */
class Batches<T extends LogRecord | Buffer> implements AsyncIterableIterator<T> {
  readonly #query: LogQuery;
  #out: T[] = [];
  #at = 0;
  #chain: Promise<unknown> = Promise.resolve();
  readonly #concat: boolean;
  /** `concat`: hand out each batch of byte slices as one chunk. */
  constructor(query: LogQuery, concat = false) {
    this.#query = query;
    this.#concat = concat;
  }
  [Symbol.asyncIterator](): this {
    return this;
  }
  next(): Promise<IteratorResult<T>> {
    if (this.#at < this.#out.length) return Promise.resolve({ done: false, value: this.#out[this.#at++]! });
    const run = this.#chain.then(async (): Promise<IteratorResult<T>> => {
      while (this.#at >= this.#out.length) {
        this.#out = [];
        this.#at = 0;
        try {
          if (!(await this.#query.fill(this.#out as (LogRecord | Buffer)[])) && this.#out.length === 0)
            return { done: true, value: undefined };
          if (this.#concat && this.#out.length > 1) this.#out = [Buffer.concat(this.#out as Buffer[]) as T];
        } catch (error) {
          await this.#query.close().catch(() => {});
          throw error;
        }
      }
      return { done: false, value: this.#out[this.#at++]! };
    });
    this.#chain = run.catch(() => {});
    return run;
  }
  async return(): Promise<IteratorResult<T>> {
    this.#out = [];
    this.#at = 0;
    await this.#query.close();
    return { done: true, value: undefined };
  }
}

function newStats(): EventReadStats {
  return {
    invalid: 0,
    invalidReasons: {},
    oversized: 0,
    files: 0,
    bytesRead: 0,
    bytesIndexed: 0,
    unreadable: [],
    unreadableCount: 0,
  };
}

/**
 * The blocks of files this process indexed, by path, with the stat key they were valid for
 * (least recently used dropped first). Bounded in files and in blocks.
 */
const memoryIndex = new Map<string, { key: string; blocks?: IndexBlock[]; index: FileIndex }>();
/** The dirs whose index manifest this process has used (see `LogQuery.#manifest`). */
const manifestDirs = new Set<string>();
const MANIFEST_DIRS = 1000;
const NONE: { blocks?: IndexBlock[]; index: FileIndex | null } = Object.freeze({
  blocks: [],
  index: null,
}) as never;
const MEMORY_INDEX_FILES = 20_000;
const MEMORY_INDEX_BLOCKS = 200_000;
let memoryIndexBlocks = 0;

/** `blocks` undefined: the index's own (from the manifest, made on first use). */
function remember(
  file: string,
  key: string | null,
  blocks: IndexBlock[] | undefined,
  index: FileIndex,
): void {
  if (key === null) return;
  const old = memoryIndex.get(file);
  if (old !== undefined) {
    memoryIndexBlocks -= old.blocks?.length ?? blockCount(old.index);
    memoryIndex.delete(file);
  }
  const count = blocks?.length ?? blockCount(index);
  if (count > MEMORY_INDEX_BLOCKS / 4) return;
  memoryIndex.set(file, blocks === undefined ? { key, index } : { key, blocks, index });
  memoryIndexBlocks += count;
  for (const [name, entry] of memoryIndex) {
    if (memoryIndex.size <= MEMORY_INDEX_FILES && memoryIndexBlocks <= MEMORY_INDEX_BLOCKS) break;
    memoryIndex.delete(name);
    memoryIndexBlocks -= entry.blocks?.length ?? blockCount(entry.index);
  }
}

/**
 * The shape of the log by its index: each file (legacy first, then months), its identity, how far
 * it is covered, and each block's byte range and `ts` range (`minTs` +Infinity when the block has
 * no valid line). What a cache of results over the log (catalyst-replay's fold checkpoints) needs
 * to tell whether lines were added or removed before a time, without reading them.
 */
export interface LogLayout {
  files: {
    file: string;
    dev: number;
    ino: number;
    /** Fingerprint of the file's first 4 KiB (changes when the file is rewritten). */
    head: string;
    /** Bytes covered by the blocks (the end of the last line, or of a complete unterminated one). */
    length: number;
    /**
     * The file's index blocks. `invalid`, `oversized` and `reasons`: the malformed lines a read
     * that takes the block counts (a block not yet read whole may count more when it is read).
     */
    blocks: {
      start: number;
      end: number;
      minTs: number;
      maxTs: number;
      invalid: number;
      oversized: number;
      reasons?: Partial<Record<EventLineProblem, number>>;
      /** The block's counts are those of its byte scan only (see `invalid`). */
      unverified?: true;
    }[];
  }[];
  stats: EventReadStats;
}

/** `readLogLayout(catalystDir, options)`: index the log (as a read would) and describe it. */
export type ReadLogLayout = (
  catalystDir: string,
  options?: Pick<
    ReadEventsOptions,
    "indexDir" | "onProgress" | "maxLineBytes" | "blockBytes" | "maxOpenFiles"
  >,
) => Promise<LogLayout>;

/** `readEvents(catalystDir, options)`: see the main door (`log-readers.ts`). */
export type ReadEvents = (
  catalystDir: string,
  options?: ReadEventsOptions,
) => AsyncIterable<LogRecord> & { readonly stats: EventReadStats };

/** `readEventBytes(catalystDir, options)`: see the main door (`log-readers.ts`). */
export type ReadEventBytes = (
  catalystDir: string,
  options?: Omit<ReadEventsOptions, "filter">,
) => AsyncIterable<Buffer> & { readonly stats: EventReadStats };

/**
 * The two readers, bound to a way of loading the line parser. The package's doors call this once:
 * the main door with the parser it imports anyway, `./event-log` with a dynamic import, so that a
 * bundler following the main door never meets a dynamic import (and never splits a chunk off).
 */
export function createLogReaders(loadParser: LoadParser): {
  readEvents: ReadEvents;
  readEventBytes: ReadEventBytes;
  readLogLayout: ReadLogLayout;
} {
  return {
    readLogLayout: async (catalystDir, options = {}) => {
      const query = new LogQuery(catalystDir, options, "bytes", newStats(), loadParser);
      try {
        return await query.layout();
      } finally {
        await query.close();
      }
    },
    readEvents: (catalystDir, options = {}) => {
      const stats = newStats();
      return {
        stats,
        [Symbol.asyncIterator]: () =>
          new Batches<LogRecord>(new LogQuery(catalystDir, options, "records", stats, loadParser)),
      };
    },
    readEventBytes: (catalystDir, options = {}) => {
      const stats = newStats();
      const { filter: _ignored, ...rest } = options as ReadEventsOptions;
      return {
        stats,
        [Symbol.asyncIterator]: () =>
          new Batches<Buffer>(new LogQuery(catalystDir, rest, "bytes", stats, loadParser), true),
      };
    },
  };
}
