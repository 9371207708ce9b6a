import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { lstat, mkdir, readdir, rename, rm, unlink } from "node:fs/promises";
import { join } from "node:path";
import { createGunzip, createGzip } from "node:zlib";
import { type FuseState, importState, restoreExportHoles, STATE_EXPORT_VERSION } from "@catalyst/fuse";

// One fold checkpoint on disk, the form the local (`fold-checkpoints-v4`) and the central
// (`central-checkpoints-v3`) time travel share: `<atMs>.jsonl.gz`, gzip (level 1) of JSON lines:
// a header (each store has its own, checked before any state is parsed), then the fuse state's
// top-level fields but its orchestrators (as fuse's `exportState` writes them), then one
// `[id, record]` line per orchestrator, then `{"end":<orchestrators>}`. Written and read as a
// stream, one orchestrator at a time: neither side holds the whole state's text (about ten times
// its gzip), and both give the event loop a turn every few milliseconds. A file is written to
// `<name>.<pid>.<random>.tmp` and renamed; a temp file a crash left behind is removed by the next
// process that opens the dir ({@link removeCrashLeftTemps}).

/**
 * The central monitor's checkpoints' subdir of the cache dir (central-time-travel.ts); the v1
 * (the whole state as one JSON text) and v2 (no per-host reach in the header) before it are
 * removed when met (cache-cleanup.ts).
 */
export const CENTRAL_CHECKPOINT_SUBDIR = "central-checkpoints-v3";

/** FNV-1a of a text as 8 hex digits: the name of one log's or one stream's checkpoint dir. */
export function hashText(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}

/** The file of the checkpoint at `atMs` in `dir`. */
export const checkpointPath = (dir: string, atMs: number): string => join(dir, `${atMs}${SUFFIX}`);

const SUFFIX = ".jsonl.gz";
/** Parsing or writing a checkpoint gives the event loop a turn at least this often. */
const YIELD_AFTER_MS = 10;
/** A line of a checkpoint longer than this is not read (a corrupt file must not take the memory). */
const MAX_CHECKPOINT_LINE = 256 * 1024 * 1024;
/** A temp file untouched this long was left by a writer that died (a live one writes every few ms). */
export const CRASH_LEFT_AFTER_MS = 15 * 60_000;
/**
 * The temp files our writers make (`<atMs>.jsonl.gz.<pid>[.<hex>].tmp`, and the central store's
 * `<atMs>.checked.json.<pid>.<hex>.tmp`), and nothing else.
 */
const TEMP_NAME = /^-?\d+\.(?:jsonl\.gz|checked\.json)\.\d+(?:\.[0-9a-f]+)?\.tmp$/;

/** A temp name beside `path` for a write that is renamed to it (see {@link removeCrashLeftTemps}). */
export function tempPathOf(path: string): string {
  return `${path}.${process.pid}.${Math.floor(Math.random() * 0x1_0000_0000).toString(16)}.tmp`;
}

/** The times of the checkpoints in `dir`, newest first (none when it cannot be listed). */
export async function listCheckpointTimes(dir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names
    .map((n) => /^(-?\d+)\.jsonl\.gz$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .filter((t) => Number.isSafeInteger(t))
    .sort((a, b) => b - a);
}

/** A checkpoint file that is not what a writer of this form leaves. */
export class BadCheckpoint extends Error {}

/**
 * The lines of a gzip file, parsed one at a time as they are inflated (each inflated chunk is
 * its own turn of the event loop). Stops (and closes the file) when `take` returns false.
 */
async function readLines(path: string, take: (value: unknown) => boolean): Promise<void> {
  const input = createReadStream(path, { highWaterMark: 64 * 1024 });
  const gunzip = createGunzip({ chunkSize: 64 * 1024 });
  input.on("error", (error) => gunzip.destroy(error));
  input.pipe(gunzip);
  let parts: Buffer[] = [];
  let partLength = 0;
  const parse = (buf: Buffer, from: number, to: number): boolean => {
    let text: string;
    if (parts.length === 0) text = buf.toString("utf8", from, to);
    else {
      parts.push(buf.subarray(from, to));
      text = Buffer.concat(parts).toString("utf8");
      parts = [];
      partLength = 0;
    }
    return take(JSON.parse(text));
  };
  let turn = performance.now();
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      let from = 0;
      for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, from)) {
        if (!parse(chunk, from, nl)) return;
        from = nl + 1;
        // Chunks already inflated come without a turn of the event loop in between: give one back
        // every few milliseconds of parsing (a monitor answers other requests meanwhile).
        if (performance.now() - turn > YIELD_AFTER_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          turn = performance.now();
        }
      }
      if (from < chunk.length) {
        // JSON text holds no raw newline: the rest is the start of the next line.
        parts.push(from === 0 ? chunk : chunk.subarray(from));
        partLength += chunk.length - from;
        if (partLength > MAX_CHECKPOINT_LINE) throw new BadCheckpoint("line too long");
      }
    }
    if (partLength > 0) throw new BadCheckpoint("no newline at the end");
  } finally {
    input.destroy();
    gunzip.destroy();
  }
}

/** The header line of a checkpoint file alone (the rest is not inflated); throws on a foreign file. */
export async function readCheckpointHeader<H>(
  path: string,
  isHeader: (value: unknown) => value is H,
): Promise<H> {
  let header: H | null = null;
  await readLines(path, (value) => {
    if (!isHeader(value)) throw new BadCheckpoint("not a checkpoint header");
    header = value;
    return false;
  });
  if (header === null) throw new BadCheckpoint("empty");
  return header;
}

/**
 * One checkpoint read whole: the header (checked by `isHeader`, then `accept`, before any state is
 * parsed), then the state piece by piece. Null when `accept` refuses the header; throws
 * {@link BadCheckpoint} (or what gunzip or the file throws) on a torn or foreign file.
 */
export async function readCheckpointFile<H>(
  path: string,
  isHeader: (value: unknown) => value is H,
  accept: (header: H) => boolean,
): Promise<{ header: H; state: FuseState } | null> {
  let header: H | null = null;
  let state: Record<string, unknown> | null = null;
  let orchestrators: Record<string, unknown> = {};
  let count = 0;
  let ended = false;
  let refused = false;
  await readLines(path, (value) => {
    if (ended) throw new BadCheckpoint("a line after the end");
    if (header === null) {
      if (!isHeader(value)) throw new BadCheckpoint("not a checkpoint header");
      if (!accept(value)) {
        refused = true;
        return false;
      }
      header = value;
    } else if (state === null) {
      if (typeof value !== "object" || value === null || Array.isArray(value))
        throw new BadCheckpoint("no state");
      state = restoreExportHoles(value) as Record<string, unknown>;
      orchestrators = Object.create(null) as Record<string, unknown>;
    } else if (Array.isArray(value) && value.length === 2 && typeof value[0] === "string") {
      // Keys in the order they were written: the state's own (and what JSON.parse would give).
      orchestrators[value[0]] = restoreExportHoles(value[1]);
      count++;
    } else if (typeof value === "object" && value !== null && (value as { end?: unknown }).end === count) {
      ended = true;
    } else throw new BadCheckpoint("an unexpected line");
    return true;
  });
  if (refused) return null;
  if (header === null || state === null || !ended) throw new BadCheckpoint("torn");
  const whole = { ...(state as Record<string, unknown>), orchestrators: { ...orchestrators } };
  const fused = importState({ v: STATE_EXPORT_VERSION, state: whole }, { adopt: true, holesRestored: true });
  return { header: header as H, state: fused };
}

/**
 * Write a checkpoint file (temp file + rename) one orchestrator at a time through gzip, waiting
 * for the file to take each piece. Throws when the dir cannot be written (the temp file removed);
 * the state must not change until this settles.
 */
export async function writeCheckpointFile(
  dir: string,
  atMs: number,
  header: object,
  state: FuseState,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const path = checkpointPath(dir, atMs);
  const tmp = tempPathOf(path);
  await writeGzipLines(tmp, stateLines(header, state));
  await rename(tmp, path);
}

/** Remove the checkpoint at `atMs` (and nothing else); never throws. */
export async function removeCheckpointFile(dir: string, atMs: number): Promise<void> {
  await unlink(checkpointPath(dir, atMs)).catch(() => {});
}

/** The lines of a checkpoint (see the top of this file), made one at a time. */
function* stateLines(header: object, state: FuseState): Generator<string> {
  yield JSON.stringify(header);
  const { orchestrators, ...others } = state;
  // The same JSON as fuse's exportState writes for these fields (plain data, holes as null).
  yield JSON.stringify(others);
  let count = 0;
  for (const id of Object.keys(orchestrators)) {
    yield JSON.stringify([id, orchestrators[id]]);
    count++;
  }
  yield JSON.stringify({ end: count });
}

/** Write lines to a gzip file (level 1), a piece at a time, removing the file on failure. */
async function writeGzipLines(path: string, lines: Iterable<string>): Promise<void> {
  const out = createWriteStream(path);
  const gzip = createGzip({ level: 1 });
  const failed = new Promise<never>((_, reject) => {
    out.on("error", reject);
    gzip.on("error", reject);
  });
  failed.catch(() => {});
  gzip.pipe(out);
  try {
    let pending = "";
    let turn = performance.now();
    for (const line of lines) {
      pending += `${line}\n`;
      if (pending.length < 64 * 1024) continue;
      if (!gzip.write(pending)) await Promise.race([once(gzip, "drain"), failed]);
      pending = "";
      if (performance.now() - turn > YIELD_AFTER_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        turn = performance.now();
      }
    }
    gzip.end(pending);
    await Promise.race([once(out, "close"), failed]);
  } catch (error) {
    gzip.destroy();
    out.destroy();
    await rm(path, { force: true });
    throw error;
  }
}

const swept = new Set<string>();

/**
 * Remove the temp files a writer that died left in a checkpoint dir: only names our writers make
 * (see TEMP_NAME), only plain files untouched for {@link CRASH_LEFT_AFTER_MS}
 * (a live writer touches its file every few milliseconds), only directly in `dir`. Once per dir
 * and process unless `again`; best effort: returns the names removed, never throws.
 */
export async function removeCrashLeftTemps(dir: string, now = Date.now(), again = false): Promise<string[]> {
  if (swept.has(dir) && !again) return [];
  swept.add(dir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!TEMP_NAME.test(name)) continue;
    try {
      const info = await lstat(join(dir, name));
      if (!info.isFile() || now - info.mtimeMs < CRASH_LEFT_AFTER_MS) continue;
      await unlink(join(dir, name));
      removed.push(name);
    } catch {
      // Gone already (another process swept it), or not ours to remove: left alone.
    }
  }
  return removed;
}
