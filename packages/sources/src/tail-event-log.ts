import { constants } from "node:fs";
import { type FileHandle, open, stat } from "node:fs/promises";
import { join } from "node:path";
import type { LogRecord, SourceChange } from "@catalyst/schema";
import { LEGACY_LOG, listEventLogFiles, MONTH_FILE } from "./event-log-files.js";
import { parseLogLine } from "./parse-log-line.js";
import { DEFAULT_MAX_LINE_BYTES } from "./read-events.js";
import { createLineSplitter, type LineSplitter, type SplitItem } from "./split-lines.js";
import { errorCode } from "./text-files.js";
import { createFsDirWatcher, type DirWatch, type DirWatcher } from "./watch-dir.js";

/** Options of {@link createLogTailer}. */
export interface LogTailerOptions {
  catalystDir: string;
  /** Where to begin in files that exist at the first start. @default "end" */
  from?: "end" | "start";
  /**
   * A byte offset to resume a file that exists at the first start from (instead of `from`), e.g. a
   * relay publisher's cursor. Used only when it is within the file and just after a newline;
   * otherwise (or null) the file begins by `from`.
   */
  resumeAt?: (file: string) => number | null;
  /** Lines longer than this are reported as `log-skipped` and dropped. @default 1 MiB */
  maxLineBytes?: number;
  /** Backstop poll of every log file, for filesystems whose events are lost. @default 1_000 */
  pollIntervalMs?: number;
  /**
   * Called once per file and distinct error when reading a log file fails (EACCES, EIO, EMFILE);
   * the file is retried on the next event or poll. The library never logs; the app does.
   */
  onError?: (error: unknown, file: string) => void;
}

/** Follows the event log live; see {@link createLogTailer}. */
export interface LogTailer {
  start(): Promise<void>;
  stop(): Promise<void>;
  subscribe(listener: (changes: SourceChange[]) => void): () => void;
  /** Close every held handle and the watches, then look at every file again (SIGHUP). */
  reopen(): void;
}

const READ_CHUNK = 256 * 1024;
/** Bytes kept from the start of the file and from just before the read offset, to spot a rewrite. */
const PRINT = 64;

interface TailedFile {
  path: string;
  handle: FileHandle | null;
  ino: number;
  splitter: LineSplitter;
  /** The first bytes of the file, as read. */
  head: Buffer;
  /** The bytes just before `splitter.position()`. */
  tail: Buffer;
  /** The mtime when the handle was last closed; an idle file read to its end and not modified since is not reopened. */
  closedAt: { mtimeMs: number } | null;
  /** When (by the tailer's activity counter) bytes were last read from it. */
  lastActive: number;
}

/** How many log files keep an open handle between polls: the ones appended to most recently. */
const KEEP_OPEN = 4;

// O_NONBLOCK: a FIFO named like a log file must not block the open (issue 17).
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

function kindOf(st: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean }): string {
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a FIFO";
  if (st.isCharacterDevice()) return "a character device";
  return "not a regular file";
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buf, 0, length, position);
  return buf.subarray(0, bytesRead);
}

/**
 * Create a tailer for `events/YYYY-MM.jsonl` and the legacy `events.jsonl`. It reads by byte offset
 * and carries a partial line until its newline arrives (FORMATS §4.6). It follows every log file,
 * so a month rollover is just a new file read from 0. A file that shrank, or whose first bytes or
 * bytes before the offset changed, was truncated: `log-reset` and read again from 0. A file whose
 * inode changed was replaced: the old one is drained through the still-open handle, then
 * `log-reset` and the new one is read from 0. A missing file is `log-reset` with `deleted`.
 * Emits one `log-lines` change per chunk read (plus `log-skipped` for bad lines in it).
 * stop() reads what was written up to that moment; stop() then start() resumes where it stopped.
 */
export function createLogTailer(options: LogTailerOptions): LogTailer {
  const dir = options.catalystDir;
  const eventsDir = join(dir, "events");
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const listeners = new Set<(changes: SourceChange[]) => void>();
  const files = new Map<string, TailedFile>();
  let startedOnce = false;
  let running = false;
  let watcher: DirWatcher | null = null;
  let rootWatch: DirWatch | null = null;
  let eventsWatch: DirWatch | null = null;
  let timer: NodeJS.Timeout | null = null;
  // Work queue: paths to poll, or everything. One drain loop at a time, so a file is never read twice at once.
  const dirty = new Set<string>();
  let dirtyAll = false;
  let draining: Promise<void> | null = null;
  /**
   * Only the files appended to most recently keep their handle between polls (at most
   * KEEP_OPEN); the others are closed and reopened when their size or mtime moves, so 10,000 month
   * files cost a handful of descriptors, not 10,000 (issue 17). A counter, bumped on each read.
   */
  let activity = 0;
  /** Paths that are not regular files, by inode, so each is reported once. */
  const refused = new Map<string, number>();
  /** The last error reported per path, so a file that keeps failing is reported once. */
  const failing = new Map<string, string>();

  function emit(changes: SourceChange[]): void {
    if (changes.length === 0) return;
    for (const l of [...listeners]) {
      try {
        l(changes);
      } catch {
        // A failing subscriber must not stop the tail for the others.
      }
    }
  }

  function isLogName(name: string): boolean {
    return MONTH_FILE.test(name);
  }

  function ensureEventsWatch(): void {
    if (!running || !watcher || eventsWatch) return;
    try {
      eventsWatch = watcher.watch(
        eventsDir,
        (name) => {
          if (name === null || !isLogName(name)) schedule(null);
          else schedule(join(eventsDir, name));
        },
        () => {
          eventsWatch = null;
          schedule(null);
        },
      );
    } catch {
      eventsWatch = null; // no events/ yet; the root watch sees it appear
    }
  }

  function ensureRootWatch(): void {
    if (!running || !watcher || rootWatch) return;
    try {
      rootWatch = watcher.watch(
        dir,
        (name) => {
          if (name === LEGACY_LOG) schedule(join(dir, LEGACY_LOG));
          else if (name === "events" || name === null) {
            eventsWatch?.close();
            eventsWatch = null;
            ensureEventsWatch();
            schedule(null);
          }
        },
        () => {
          rootWatch = null;
          schedule(null);
        },
      );
    } catch {
      rootWatch = null; // catalystDir missing; the interval poll retries
    }
  }

  function schedule(path: string | null): void {
    if (!running) return;
    if (path === null) dirtyAll = true;
    else dirty.add(path);
    if (!draining) draining = drain().finally(() => (draining = null));
  }

  async function drain(): Promise<void> {
    while (running && (dirtyAll || dirty.size > 0)) {
      let paths: string[];
      if (dirtyAll) {
        dirtyAll = false;
        dirty.clear();
        ensureRootWatch();
        ensureEventsWatch();
        const listed = await listEventLogFiles(dir);
        paths = [...new Set([...listed, ...files.keys(), ...refused.keys()])];
      } else {
        paths = [...dirty];
        dirty.clear();
      }
      for (const p of paths) {
        if (!running) return;
        try {
          await pollFile(p);
          failing.delete(p);
        } catch (error) {
          // An unreadable file (EACCES, EIO, EMFILE) is retried by the next event or backstop poll.
          const tf = files.get(p);
          if (tf) await release(tf);
          const text = String(error);
          if (failing.get(p) !== text) {
            failing.set(p, text);
            try {
              options.onError?.(error, p);
            } catch {
              // the app's reporter must not stop the tail
            }
          }
        }
      }
    }
  }

  function toChanges(file: string, items: SplitItem[]): SourceChange[] {
    const records: LogRecord[] = [];
    const skipped: SourceChange[] = [];
    for (const item of items) {
      if (item.kind === "oversized") {
        skipped.push({
          kind: "log-skipped",
          file,
          offset: item.offset,
          reason: "oversized",
          detail: `line of ${item.bytes} bytes is over the ${maxLineBytes}-byte cap`,
        });
        continue;
      }
      const res = parseLogLine(item.text, file, item.offset);
      if (res.ok) records.push(res.record);
      else if (!res.blank)
        skipped.push({
          kind: "log-skipped",
          file,
          offset: item.offset,
          reason: "invalid",
          detail: res.detail,
        });
    }
    return records.length > 0 ? [{ kind: "log-lines", records }, ...skipped] : skipped;
  }

  function remember(tf: TailedFile, chunk: Buffer, chunkStart: number): void {
    if (chunkStart < PRINT && tf.head.length < PRINT) {
      tf.head = Buffer.concat([tf.head, chunk.subarray(0, PRINT - chunkStart)]).subarray(0, PRINT);
    }
    const joined =
      chunk.length >= PRINT ? chunk.subarray(chunk.length - PRINT) : Buffer.concat([tf.tail, chunk]);
    tf.tail = Buffer.from(joined.subarray(Math.max(0, joined.length - PRINT)));
  }

  /** True when the bytes we remember are still where we read them. */
  async function unchanged(tf: TailedFile): Promise<boolean> {
    const handle = tf.handle!;
    const pos = tf.splitter.position();
    if (tf.head.length > 0 && !(await readAt(handle, 0, tf.head.length)).equals(tf.head)) return false;
    if (tf.tail.length > 0 && !(await readAt(handle, pos - tf.tail.length, tf.tail.length)).equals(tf.tail)) {
      return false;
    }
    return true;
  }

  function fresh(path: string, handle: FileHandle, ino: number, offset: number): TailedFile {
    return {
      path,
      handle,
      ino,
      splitter: createLineSplitter(offset, maxLineBytes),
      head: Buffer.alloc(0),
      tail: Buffer.alloc(0),
      closedAt: null,
      lastActive: ++activity,
    };
  }

  /** Close the handles of all but the KEEP_OPEN files read most recently. */
  async function trimOpen(): Promise<void> {
    const open = [...files.values()].filter((f) => f.handle !== null);
    if (open.length <= KEEP_OPEN) return;
    open.sort((a, b) => a.lastActive - b.lastActive);
    for (const f of open.slice(0, open.length - KEEP_OPEN)) await release(f);
  }

  /** Close an idle file's handle, remembering its size and mtime to know when to look again. */
  async function release(tf: TailedFile): Promise<void> {
    if (!tf.handle) return;
    const handle = tf.handle;
    tf.handle = null;
    try {
      const st = await handle.stat();
      tf.closedAt = { mtimeMs: st.mtimeMs };
    } catch {
      tf.closedAt = null;
    } finally {
      await handle.close();
    }
  }

  /** Read from the offset to the end, one emit per chunk. Returns false when the file was rewritten meanwhile. */
  async function readNew(tf: TailedFile): Promise<boolean> {
    const handle = tf.handle!;
    const buf = Buffer.allocUnsafe(READ_CHUNK);
    for (;;) {
      const pos = tf.splitter.position();
      const { bytesRead } = await handle.read(buf, 0, READ_CHUNK, pos);
      if (bytesRead === 0) return true;
      const chunk = buf.subarray(0, bytesRead);
      // A truncate-and-rewrite between two reads would splice new bytes onto old ones: check that the
      // start of the file is still what we read before trusting this chunk.
      if (tf.head.length > 0 && !(await readAt(handle, 0, tf.head.length)).equals(tf.head)) return false;
      tf.lastActive = ++activity;
      const items = tf.splitter.push(chunk);
      remember(tf, chunk, pos);
      emit(toChanges(tf.path, items));
      if (bytesRead < READ_CHUNK) return true;
    }
  }

  async function openAt(
    path: string,
    from: "end" | "start",
    resume: number | null = null,
  ): Promise<TailedFile | null> {
    let handle: FileHandle;
    try {
      handle = await open(path, OPEN_FLAGS);
    } catch (error) {
      if (errorCode(error) === "ENOENT") return null;
      throw error;
    }
    const st = await handle.stat();
    if (!st.isFile()) {
      // Swapped for a directory or a FIFO between stat and open: never keep the handle.
      await handle.close();
      return null;
    }
    let offset = 0;
    if (resume !== null && Number.isSafeInteger(resume) && resume > 0 && resume <= st.size) {
      // Resumed only at a line boundary: anything else reads by `from`.
      const before = await readAt(handle, resume - 1, 1);
      if (before[0] === 10) offset = resume;
    }
    if (offset === 0 && from === "end" && st.size > 0) {
      // Start after the last complete line, so a line being written now is read whole.
      const back = Math.min(st.size, maxLineBytes);
      const tailBytes = await readAt(handle, st.size - back, back);
      const nl = tailBytes.lastIndexOf(10);
      offset = nl === -1 ? st.size : st.size - back + nl + 1;
    }
    const tf = fresh(path, handle, st.ino, offset);
    if (offset > 0) {
      tf.head = await readAt(handle, 0, Math.min(PRINT, offset));
      const t = Math.min(PRINT, offset);
      tf.tail = await readAt(handle, offset - t, t);
    }
    return tf;
  }

  async function finish(tf: TailedFile, reason: "replaced" | "deleted" | "truncated"): Promise<void> {
    if (tf.handle && reason !== "truncated") {
      // The old inode is still readable through our handle: deliver what was appended before it went,
      // after checking it was not truncated and rewritten first.
      await catchUp(tf);
      const partial = tf.splitter.takePartial();
      if (partial) emit(toChanges(tf.path, [{ kind: "line", offset: partial.offset, text: partial.text }]));
    }
    await tf.handle?.close();
    tf.handle = null;
    emit([{ kind: "log-reset", file: tf.path, reason }]);
  }

  async function pollFile(path: string): Promise<void> {
    let tf = files.get(path);
    let ino: number | null = null;
    let st: Awaited<ReturnType<typeof stat>> | null = null;
    try {
      st = await stat(path);
      ino = st.ino;
    } catch (error) {
      if (errorCode(error) !== "ENOENT") throw error;
    }
    if (st !== null && !st.isFile()) {
      // A log replaced by a directory (or a FIFO): end the old file, hold no handle on the new
      // thing, and say so once per inode.
      if (tf) {
        files.delete(path);
        if (tf.handle) await finish(tf, "replaced");
        else emit([{ kind: "log-reset", file: path, reason: "replaced" }]);
      }
      if (refused.get(path) !== st.ino) {
        refused.set(path, st.ino);
        emit([
          {
            kind: "log-skipped",
            file: path,
            offset: 0,
            reason: "unreadable",
            detail: `${path} is ${kindOf(st)}, not a regular file`,
          },
        ]);
      }
      return;
    }
    // A path that was refused and is a regular file again starts over, which clears its marker.
    if (refused.delete(path))
      emit([{ kind: "log-reset", file: path, reason: st === null ? "deleted" : "replaced" }]);
    if (tf && !tf.handle) {
      // An idle older file, or resuming after stop(): reopen if it is still the same file.
      if (ino === null || ino !== tf.ino) {
        files.delete(path);
        emit([{ kind: "log-reset", file: path, reason: ino === null ? "deleted" : "replaced" }]);
        tf = undefined;
      } else if (
        st !== null &&
        tf.closedAt !== null &&
        st.size === tf.splitter.position() &&
        st.mtimeMs === tf.closedAt.mtimeMs
      ) {
        return; // an idle file that has not moved: no open at all
      } else {
        tf.handle = await open(path, OPEN_FLAGS);
      }
    } else if (tf && ino !== tf.ino) {
      files.delete(path);
      await finish(tf, ino === null ? "deleted" : "replaced");
      tf = undefined;
    }
    if (ino === null) return;
    if (!tf) {
      const opened = startedOnce
        ? await openAt(path, "start")
        : await openAt(path, options.from ?? "end", options.resumeAt?.(path) ?? null);
      if (!opened) return;
      tf = opened;
      files.set(path, tf);
    }
    await catchUp(tf);
    await trimOpen();
  }

  /** Read what is new in an open file, starting again at 0 if it was truncated or rewritten. */
  async function catchUp(tf: TailedFile): Promise<void> {
    const size = (await tf.handle!.stat()).size;
    if (size < tf.splitter.position() || !(await unchanged(tf))) await resetTruncated(tf);
    else if (!(await readNew(tf))) await resetTruncated(tf);
  }

  async function resetTruncated(tf: TailedFile): Promise<void> {
    emit([{ kind: "log-reset", file: tf.path, reason: "truncated" }]);
    tf.splitter = createLineSplitter(0, maxLineBytes);
    tf.head = Buffer.alloc(0);
    tf.tail = Buffer.alloc(0);
    if (!(await readNew(tf))) await resetTruncated(tf);
  }

  return {
    async start() {
      if (running) return;
      running = true;
      watcher = createFsDirWatcher();
      ensureRootWatch();
      ensureEventsWatch();
      dirtyAll = true;
      draining = drain().finally(() => (draining = null));
      await draining;
      startedOnce = true;
      timer = setInterval(() => schedule(null), pollIntervalMs);
    },
    async stop() {
      if (!running) return;
      if (timer) clearInterval(timer);
      timer = null;
      // One last pass, so what was written (or rotated away) before stop() is delivered, not lost.
      schedule(null);
      await draining;
      running = false;
      rootWatch?.close();
      eventsWatch?.close();
      rootWatch = null;
      eventsWatch = null;
      await watcher?.close();
      watcher = null;
      for (const tf of files.values()) {
        await tf.handle?.close();
        tf.handle = null;
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    reopen() {
      if (!running) return;
      rootWatch?.close();
      eventsWatch?.close();
      rootWatch = null;
      eventsWatch = null;
      const reopenAll = async () => {
        await draining;
        // Closed idle files compare inode, size and mtime on the next poll, so nothing is re-read.
        for (const tf of files.values()) {
          await release(tf);
          tf.closedAt = null;
        }
        failing.clear();
        schedule(null);
      };
      void reopenAll().catch(() => schedule(null));
    },
  };
}
