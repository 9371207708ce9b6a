import { constants } from "node:fs";
import { type FileHandle, open, readdir } from "node:fs/promises";
import { FileRejectedError } from "./errors.js";

/** The two file operations the readers need; inject a fake only to stage a race. */
export interface TextFiles {
  /** Names (not paths) of the entries in `dir`. */
  list(dir: string): Promise<string[]>;
  /** The whole file as UTF-8; rejects with `FileRejectedError` for a non-regular or oversized file. */
  read(path: string): Promise<string>;
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
 */
export async function readRegularFile(path: string, maxBytes = DEFAULT_MAX_FILE_BYTES): Promise<string> {
  let handle: FileHandle;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch (error) {
    // ENXIO: a FIFO opened for writing without a reader, or a socket; either way not a file.
    if (errorCode(error) === "ENXIO") throw new FileRejectedError(path, "not a regular file");
    throw error;
  }
  try {
    const st = await handle.stat();
    if (st.isDirectory()) throw Object.assign(new Error(`EISDIR: ${path}`), { code: "EISDIR" });
    if (!st.isFile()) throw new FileRejectedError(path, `not a regular file (${fileKind(st)})`);
    if (st.size > maxBytes)
      throw new FileRejectedError(path, `too large (${st.size} bytes, cap ${maxBytes})`);
    // Read at most cap + 1 bytes whatever stat said: the file may grow between stat and read.
    const buf = Buffer.allocUnsafe(Math.min(maxBytes + 1, Math.max(st.size, 0) + 64 * 1024));
    let length = 0;
    while (length < buf.length) {
      const { bytesRead } = await handle.read(buf, length, buf.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > maxBytes) throw new FileRejectedError(path, `too large (over the ${maxBytes}-byte cap)`);
    return buf.toString("utf8", 0, length);
  } finally {
    await handle.close();
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
