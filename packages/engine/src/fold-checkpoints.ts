import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, rename, rm, unlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createGunzip, createGzip } from "node:zlib";
import { type FuseState, importState, restoreExportHoles, STATE_EXPORT_VERSION } from "@catalyst/fuse";
import type { EventReadStats, LogLayout } from "@catalyst/sources/event-log";

/**
 * Fold checkpoints for time travel (issue 25): the fused state after every line with
 * `ts <= atMs`, kept in the user cache dir beside the log index, never in the catalyst dir. A
 * checkpoint names each log file it covered (device, inode, first-4-KiB fingerprint, bytes
 * covered). It stays valid while the lines with `ts <= atMs` are the same: no covered file
 * vanished, was replaced or shrank, and no byte beyond what it covered (an appended or backfilled
 * line, a new file) is in an index block whose smallest `ts` is `<= atMs`. So a line backfilled at
 * time B invalidates the checkpoints at or after B and no earlier one.
 *
 * On disk (v4): `<atMs>.jsonl.gz`, gzip (level 1) of JSON lines: the header below, then the
 * state's top-level fields but its orchestrators (as fuse's `exportState` writes them), then one
 * `[id, record]` line per orchestrator, then `{"end":<orchestrators>}`. Written and read as a
 * stream, one orchestrator at a time: neither side holds the whole state's text (about ten times
 * its gzip), and a reader checks the header before it parses any state, yielding to the event
 * loop between pieces.
 */
export interface Checkpoint {
  v: 4;
  /** The catalyst dir, absolute. */
  dir: string;
  /** Every line with ts <= atMs is folded in. */
  atMs: number;
  files: { file: string; dev: number; ino: number; head: string; length: number }[];
  /** Invalid and oversized lines folded past (to report the same counts as a full fold). */
  invalid: number;
  /** The invalid lines folded past by reason (issue 23), so the reasons reported stay exact too. */
  invalidReasons: NonNullable<EventReadStats["invalidReasons"]>;
  oversized: number;
  /** Lines folded in (the fold's own count, for choosing where the next checkpoint goes). */
  lines: number;
  /** The fold's state (fuse's `importState` of what was written). */
  state: FuseState;
}

/** A checkpoint's header, written before the state is. */
export type CheckpointHeader = Omit<Checkpoint, "state">;

/** The subdir of the cache dir; the versions before it are removed when met ({@link removeSuperseded}). */
export const CHECKPOINT_SUBDIR = "fold-checkpoints-v4";
const SUBDIR = CHECKPOINT_SUBDIR;
const SUFFIX = ".jsonl.gz";
/** Checkpoints kept per catalyst dir at most; past it, the ones closest to their neighbours go. */
export const MAX_CHECKPOINTS = 96;
/** A checkpoint every this many lines folded (about 4 MB of a typical log). */
export const CHECKPOINT_LINES = 16_384;
/** Parsing or writing a checkpoint gives the event loop a turn at least this often. */
const YIELD_AFTER_MS = 10;
/** A line of a checkpoint longer than this is not read (a corrupt file must not take the memory). */
const MAX_CHECKPOINT_LINE = 256 * 1024 * 1024;

function hashText(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}

/** The checkpoint dir of one catalyst dir: `<cacheDir>/fold-checkpoints-v4/<hash of the dir>`. */
export function checkpointDir(cacheDir: string, catalystDir: string): string {
  return join(cacheDir, SUBDIR, hashText(resolve(catalystDir)));
}

/** The files a checkpoint covers, from the layout of the log as it was folded. */
export function coverage(layout: LogLayout): Checkpoint["files"] {
  return layout.files.map(({ file, dev, ino, head, length }) => ({ file, dev, ino, head, length }));
}

/** Whether the lines with `ts <= cp.atMs` in the log described by `layout` are those `cp` folded. */
export function stillValid(cp: CheckpointHeader, layout: LogLayout): boolean {
  const covered = new Map(cp.files.map((f) => [f.file, f]));
  const now = new Set<string>();
  for (const f of layout.files) {
    now.add(f.file);
    const was = covered.get(f.file);
    if (was && (was.dev !== f.dev || was.ino !== f.ino || f.length < was.length || was.head !== f.head))
      return false;
    const from = was?.length ?? 0;
    // Bytes past what was folded (appended, backfilled, a new file) must all be later than atMs.
    for (const b of f.blocks) if (b.end > from && b.minTs <= cp.atMs) return false;
  }
  for (const f of cp.files) if (!now.has(f.file) && f.length > 0) return false;
  return true;
}

/** The times of the checkpoints in `dir`, newest first (none when it cannot be listed). */
async function listTimes(dir: string): Promise<number[]> {
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

/**
 * Whether the checkpoint dir of `catalystDir` holds a checkpoint at or before `atMs`: listed, not
 * read (it may yet turn out stale). A caller's hint that a fold to `atMs` will likely be short.
 */
export async function hasCheckpointBefore(
  cacheDir: string,
  catalystDir: string,
  atMs: number,
): Promise<boolean> {
  return (await listTimes(checkpointDir(cacheDir, catalystDir))).some((t) => t <= atMs);
}

function isHeader(cp: unknown, t: number): cp is CheckpointHeader {
  const c = cp as Partial<CheckpointHeader> | null;
  return (
    c?.v === 4 &&
    c.atMs === t &&
    Array.isArray(c.files) &&
    typeof c.invalid === "number" &&
    typeof c.oversized === "number" &&
    typeof c.lines === "number" &&
    typeof c.invalidReasons === "object" &&
    c.invalidReasons !== null
  );
}

/** A checkpoint file that is not what a writer of this version leaves. */
class BadCheckpoint extends Error {}

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

/**
 * One checkpoint read whole: the header (checked by `accept` before any state is parsed), then
 * the state piece by piece. Null when `accept` refuses the header; throws on a torn or foreign file.
 */
export async function readCheckpoint(
  path: string,
  atMs: number,
  accept: (header: CheckpointHeader) => boolean,
): Promise<Checkpoint | null> {
  let header: CheckpointHeader | null = null;
  let state: Record<string, unknown> | null = null;
  let orchestrators: Record<string, unknown> = {};
  let count = 0;
  let ended = false;
  let refused = false;
  await readLines(path, (value) => {
    if (ended) throw new BadCheckpoint("a line after the end");
    if (header === null) {
      if (!isHeader(value, atMs)) throw new BadCheckpoint("not a checkpoint header");
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
  return { ...(header as CheckpointHeader), state: fused };
}

/**
 * The latest valid checkpoint at or before `atMs`; invalid or unreadable ones met on the way are
 * removed (the fold that follows writes new ones).
 */
export async function findCheckpoint(
  dir: string,
  atMs: number,
  layout: LogLayout,
): Promise<Checkpoint | null> {
  for (const t of await listTimes(dir)) {
    if (t > atMs) continue;
    const path = join(dir, `${t}${SUFFIX}`);
    let cp: Checkpoint | null = null;
    try {
      cp = await readCheckpoint(path, t, (header) => stillValid(header, layout));
    } catch {
      cp = null;
    }
    if (cp !== null) return cp;
    await unlink(path).catch(() => {});
  }
  return null;
}

/** The sum of two counts by reason (a checkpoint's and the read's since it), or undefined when both are. */
export function addReasons(
  a: Checkpoint["invalidReasons"] | undefined,
  b: Checkpoint["invalidReasons"] | undefined,
): Checkpoint["invalidReasons"] | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const sum: Record<string, number> = { ...a };
  for (const [reason, n] of Object.entries(b)) sum[reason] = (sum[reason] ?? 0) + (n ?? 0);
  return sum as Checkpoint["invalidReasons"];
}

/**
 * Which checkpoint times to drop so that at most `max` stay: each time the one whose neighbours
 * are closest together (the smallest gap it leaves), never the oldest or the newest, so the
 * checkpoints stay spread over the whole log as it grows.
 */
export function thin(times: readonly number[], max: number): number[] {
  const kept = [...times].sort((a, b) => a - b);
  const dropped: number[] = [];
  while (kept.length > Math.max(max, 2)) {
    let best = 1;
    for (let i = 2; i < kept.length - 1; i++)
      if (kept[i + 1]! - kept[i - 1]! < kept[best + 1]! - kept[best - 1]!) best = i;
    dropped.push(...kept.splice(best, 1));
  }
  return dropped;
}

/**
 * Write a checkpoint (temp file + rename) one orchestrator at a time through gzip, waiting for the
 * file to take each piece; keep at most `max`. Best effort: a cache dir that cannot be written
 * only costs speed. The state must not change until this settles.
 */
export async function saveCheckpoint(
  dir: string,
  header: CheckpointHeader,
  state: FuseState,
  max = MAX_CHECKPOINTS,
): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    const path = join(dir, `${header.atMs}${SUFFIX}`);
    const tmp = `${path}.${process.pid}.tmp`;
    await writeGzipLines(tmp, stateLines(header, state));
    await rename(tmp, path);
    const times = await listTimes(dir);
    if (times.length > max)
      for (const t of thin(times, max)) await unlink(join(dir, `${t}${SUFFIX}`)).catch(() => {});
  } catch {
    // The cache dir cannot be written: the snapshot is the same, only the next one is not faster.
  }
}

/** The lines of a checkpoint (see {@link Checkpoint}), made one at a time. */
function* stateLines(header: CheckpointHeader, state: FuseState): Generator<string> {
  yield JSON.stringify({ ...header, v: 4 });
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
