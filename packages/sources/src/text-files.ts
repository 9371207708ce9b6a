import {
  closeSync,
  constants,
  close as fsClose,
  fstat as fsFstat,
  open as fsOpen,
  read as fsRead,
  fstatSync,
  openSync,
  readSync,
} from "node:fs";
import { readdir } from "node:fs/promises";
import { FileRejectedError } from "./errors.js";

/** The two file operations the readers need; inject a fake only to stage a race. */
export interface TextFiles {
  /** Names (not paths) of the entries in `dir`. */
  list(dir: string): Promise<string[]>;
  /** The whole file as UTF-8; rejects with `FileRejectedError` for a non-regular or oversized file. */
  read(path: string): Promise<string>;
  /**
   * The same read, synchronously (optional). A start-up reads thousands of small files: one
   * synchronous read costs a quarter of the CPU of four thread-pool round trips (issue 26), and
   * the watcher's first scan uses it in slices of a few ms with a turn of the event loop between.
   */
  readSync?(path: string): string;
}

/** @default cap on one signal or state file: far above any real one, far below what hurts. */
export const DEFAULT_MAX_FILE_BYTES = 4 * 1024 * 1024;

// O_NONBLOCK: opening a FIFO for reading blocks until a writer appears, which froze the whole
// monitor (issue 17). With it the open returns at once and fstat then rejects the FIFO.
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/**
 * Read a regular file whole, at most `maxBytes`. Anything else (a FIFO, a device such as
 * `/dev/zero` behind a symlink, a socket) and anything larger is refused with `FileRejectedError`
 * before a byte is read; ENOENT and EISDIR pass through as the usual fs errors.
 *
 * Callback fs calls under one promise rather than a `FileHandle`: a start-up reads every signal
 * file, and at 10,000 files the handle's promise per call and its GC tracking cost about twice the
 * CPU (issue 26).
 */
export function readRegularFile(path: string, maxBytes = DEFAULT_MAX_FILE_BYTES): Promise<string> {
  return new Promise((resolve, reject) => {
    fsOpen(path, OPEN_FLAGS, (openError, fd) => {
      if (openError) {
        // ENXIO: a FIFO opened for writing without a reader, or a socket; either way not a file.
        reject(
          errorCode(openError) === "ENXIO" ? new FileRejectedError(path, "not a regular file") : openError,
        );
        return;
      }
      const finish = (error: unknown, text?: string): void => {
        fsClose(fd, (closeError) => {
          if (error) reject(error);
          else if (closeError) reject(closeError);
          else resolve(text!);
        });
      };
      fsFstat(fd, (statError, st) => {
        if (statError) return finish(statError);
        if (st.isDirectory()) return finish(Object.assign(new Error(`EISDIR: ${path}`), { code: "EISDIR" }));
        if (!st.isFile()) return finish(new FileRejectedError(path, `not a regular file (${fileKind(st)})`));
        if (st.size > maxBytes)
          return finish(new FileRejectedError(path, `too large (${st.size} bytes, cap ${maxBytes})`));
        // Room for what stat said plus one byte, so a file that grew since is noticed; the buffer
        // then grows (doubling) up to cap + 1 bytes whatever stat said. A buffer sized to the file,
        // not 64 KiB more: a start-up reads 10,000 small files, and 64 KiB each was 650 MB of
        // short-lived memory (issue 26). Under 4 KiB it comes from Node's shared pool.
        let buf = Buffer.allocUnsafe(Math.min(maxBytes + 1, Math.max(st.size, 0) + 1));
        let length = 0;
        const step = (): void => {
          fsRead(fd, buf, length, buf.length - length, length, (readError, bytesRead) => {
            if (readError) return finish(readError);
            length += bytesRead;
            if (bytesRead > 0 && length === buf.length && buf.length <= maxBytes) {
              const bigger = Buffer.allocUnsafe(Math.min(maxBytes + 1, buf.length * 2));
              buf.copy(bigger, 0, 0, length);
              buf = bigger;
            }
            if (bytesRead > 0 && length < buf.length) return step();
            if (length > maxBytes)
              return finish(new FileRejectedError(path, `too large (over the ${maxBytes}-byte cap)`));
            finish(null, buf.toString("utf8", 0, length));
          });
        };
        step();
      });
    });
  });
}

/** The buffer synchronous reads of small files share (see readRegularFileSync). */
const syncScratch = Buffer.allocUnsafeSlow(64 * 1024);

/** {@link readRegularFile}, synchronously: the same checks, the same errors. */
export function readRegularFileSync(path: string, maxBytes = DEFAULT_MAX_FILE_BYTES): string {
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (openError) {
    throw errorCode(openError) === "ENXIO" ? new FileRejectedError(path, "not a regular file") : openError;
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw Object.assign(new Error(`EISDIR: ${path}`), { code: "EISDIR" });
    if (!st.isFile()) throw new FileRejectedError(path, `not a regular file (${fileKind(st)})`);
    if (st.size > maxBytes)
      throw new FileRejectedError(path, `too large (${st.size} bytes, cap ${maxBytes})`);
    // As the async read: room for what stat said plus one byte, doubling up to cap + 1. A file
    // that fits is read into one scratch buffer kept for every synchronous read (nothing else
    // runs meanwhile), so the first scan's 10,000 reads allocate no buffer each (issue 26).
    const room = Math.min(maxBytes + 1, Math.max(st.size, 0) + 1);
    let buf = room <= syncScratch.length ? syncScratch : Buffer.allocUnsafe(room);
    let length = 0;
    for (;;) {
      const bytesRead = readSync(fd, buf, length, buf.length - length, length);
      length += bytesRead;
      if (bytesRead > 0 && length === buf.length && buf.length <= maxBytes) {
        const bigger = Buffer.allocUnsafe(Math.min(maxBytes + 1, buf.length * 2));
        buf.copy(bigger, 0, 0, length);
        buf = bigger;
      }
      if (!(bytesRead > 0 && length < buf.length)) break;
    }
    if (length > maxBytes) throw new FileRejectedError(path, `too large (over the ${maxBytes}-byte cap)`);
    return buf.toString("utf8", 0, length);
  } finally {
    closeSync(fd);
  }
}

function fileKind(st: {
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}): string {
  if (st.isFIFO()) return "a FIFO";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  return "not a file";
}

/** Thin wrappers over `node:fs/promises`, reading only regular files up to `maxBytes`. */
export function createNodeFiles(maxBytes = DEFAULT_MAX_FILE_BYTES): TextFiles {
  return {
    list: (dir) => readdir(dir),
    read: (path) => readRegularFile(path, maxBytes),
    readSync: (path) => readRegularFileSync(path, maxBytes),
  };
}

/** {@link createNodeFiles} with the default cap. */
export const nodeFiles: TextFiles = createNodeFiles();

/** The errno code of a Node fs error, if any. */
export function errorCode(error: unknown): string | undefined {
  if (error && typeof error === "object" && "code" in error && typeof error.code === "string") {
    return error.code;
  }
  return undefined;
}

/** Why a read failed, for a marker: the refusal's reason, else the errno code. */
export function describeReadError(error: unknown): string {
  if (error instanceof FileRejectedError) return error.reason;
  return errorCode(error) ?? (error instanceof Error ? error.message : String(error));
}
