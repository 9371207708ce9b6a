import { mkdir, readdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { gunzip, gzip } from "node:zlib";
import type { EventReadStats, LogLayout } from "@catalyst/sources/event-log";

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/**
 * Fold checkpoints for time travel (issue 25): the fused state after every line with
 * `ts <= atMs`, kept in the user cache dir beside the log index, never in the catalyst dir. A
 * checkpoint names each log file it covered (device, inode, first-4-KiB fingerprint, bytes
 * covered). It stays valid while the lines with `ts <= atMs` are the same: no covered file
 * vanished, was replaced or shrank, and no byte beyond what it covered (an appended or backfilled
 * line, a new file) is in an index block whose smallest `ts` is `<= atMs`. So a line backfilled at
 * time B invalidates the checkpoints at or after B and no earlier one.
 *
 * On disk: `<atMs>.json.gz`, gzip (level 1) of one JSON object: the header fields below and
 * `state`, fuse's `exportStateJson` (the state's JSON compresses about tenfold).
 */
export interface Checkpoint {
  v: 3;
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
  /** fuse's export of the state (`exportState`'s shape). */
  state: unknown;
}

/** A checkpoint's header, written before the state is. */
export type CheckpointHeader = Omit<Checkpoint, "state">;

const SUBDIR = "fold-checkpoints-v3";
const SUFFIX = ".json.gz";
/** Checkpoints kept per catalyst dir at most; past it, the ones closest to their neighbours go. */
export const MAX_CHECKPOINTS = 96;
/** A checkpoint every this many lines folded (about 4 MB of a typical log). */
export const CHECKPOINT_LINES = 16_384;

function hashText(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}

/** The checkpoint dir of one catalyst dir: `<cacheDir>/fold-checkpoints-v3/<hash of the dir>`. */
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
    .map((n) => /^(-?\d+)\.json\.gz$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .filter((t) => Number.isSafeInteger(t))
    .sort((a, b) => b - a);
}

function isCheckpoint(cp: unknown, t: number): cp is Checkpoint {
  const c = cp as Partial<Checkpoint> | null;
  return (
    c?.v === 3 &&
    c.atMs === t &&
    Array.isArray(c.files) &&
    typeof c.invalid === "number" &&
    typeof c.oversized === "number" &&
    typeof c.lines === "number" &&
    typeof c.invalidReasons === "object" &&
    c.invalidReasons !== null &&
    typeof c.state === "object" &&
    c.state !== null
  );
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
    let cp: unknown;
    try {
      cp = JSON.parse((await gunzipAsync(await readFile(path))).toString("utf8"));
    } catch {
      await unlink(path).catch(() => {});
      continue;
    }
    if (isCheckpoint(cp, t) && stillValid(cp, layout)) return cp;
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
 * Write a checkpoint (temp file + rename); keep at most `max`. Best effort: a cache dir that cannot
 * be written only costs speed. `stateJson` is fuse's `exportStateJson` of the state.
 */
export async function saveCheckpoint(
  dir: string,
  header: CheckpointHeader,
  stateJson: string,
  max = MAX_CHECKPOINTS,
): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    const head = JSON.stringify(header);
    const text = `${head.slice(0, -1)},"state":${stateJson}}`;
    const path = join(dir, `${header.atMs}${SUFFIX}`);
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, await gzipAsync(text, { level: 1 }));
    await rename(tmp, path);
    const times = await listTimes(dir);
    if (times.length > max)
      for (const t of thin(times, max)) await unlink(join(dir, `${t}${SUFFIX}`)).catch(() => {});
  } catch {
    // The cache dir cannot be written: the snapshot is the same, only the next one is not faster.
  }
}
