import { join, resolve } from "node:path";
import type { FuseState } from "@catalyst/fuse";
import type { EventReadStats, LogLayout } from "@catalyst/sources/event-log";
import {
  checkpointPath,
  hashText,
  listCheckpointTimes,
  readCheckpointFile,
  removeCheckpointFile,
  removeCrashLeftTemps,
  writeCheckpointFile,
} from "./checkpoint-file.js";

/**
 * Fold checkpoints for time travel (issue 25): the fused state after every line with
 * `ts <= atMs`, kept in the user cache dir beside the log index, never in the catalyst dir. A
 * checkpoint names each log file it covered (device, inode, first-4-KiB fingerprint, bytes
 * covered). It stays valid while the lines with `ts <= atMs` are the same: no covered file
 * vanished, was replaced or shrank, and no byte beyond what it covered (an appended or backfilled
 * line, a new file) is in an index block whose smallest `ts` is `<= atMs`. So a line backfilled at
 * time B invalidates the checkpoints at or after B and no earlier one.
 *
 * On disk (v4): `<atMs>.jsonl.gz` in the form checkpoint-file.ts writes (gzip JSON lines, the
 * header below first, then the state one orchestrator a line), streamed both ways with a turn of
 * the event loop every few milliseconds; a reader checks the header before it parses any state.
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
/** Checkpoints kept per catalyst dir at most; past it, the ones closest to their neighbours go. */
export const MAX_CHECKPOINTS = 96;
/** A checkpoint every this many lines folded (about 4 MB of a typical log). */
export const CHECKPOINT_LINES = 16_384;

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

/**
 * Whether the checkpoint dir of `catalystDir` holds a checkpoint at or before `atMs`: listed, not
 * read (it may yet turn out stale). A caller's hint that a fold to `atMs` will likely be short.
 */
export async function hasCheckpointBefore(
  cacheDir: string,
  catalystDir: string,
  atMs: number,
): Promise<boolean> {
  return (await listCheckpointTimes(checkpointDir(cacheDir, catalystDir))).some((t) => t <= atMs);
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

/**
 * One checkpoint read whole: the header (checked by `accept` before any state is parsed), then
 * the state piece by piece. Null when `accept` refuses the header; throws on a torn or foreign file.
 */
export async function readCheckpoint(
  path: string,
  atMs: number,
  accept: (header: CheckpointHeader) => boolean,
): Promise<Checkpoint | null> {
  const read = await readCheckpointFile(
    path,
    (value): value is CheckpointHeader => isHeader(value, atMs),
    accept,
  );
  return read === null ? null : { ...read.header, state: read.state };
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
  await removeCrashLeftTemps(dir);
  for (const t of await listCheckpointTimes(dir)) {
    if (t > atMs) continue;
    const path = checkpointPath(dir, t);
    let cp: Checkpoint | null = null;
    try {
      cp = await readCheckpoint(path, t, (header) => stillValid(header, layout));
    } catch {
      cp = null;
    }
    if (cp !== null) return cp;
    await removeCheckpointFile(dir, t);
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
    await writeCheckpointFile(dir, header.atMs, { ...header, v: 4 }, state);
    const times = await listCheckpointTimes(dir);
    if (times.length > max) for (const t of thin(times, max)) await removeCheckpointFile(dir, t);
  } catch {
    // The cache dir cannot be written: the snapshot is the same, only the next one is not faster.
  }
}
