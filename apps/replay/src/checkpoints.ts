import { mkdir, readdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { EventReadStats, LogLayout } from "@catalyst/sources/event-log";

/**
 * Fold checkpoints for `--at <ts> --snapshot` (issue 25): the fused state after every line with
 * `ts <= at` (the checkpoint's time), kept in the cache dir beside the log index, never in the
 * catalyst dir. A checkpoint names each log file it covered (device, inode, first-4-KiB
 * fingerprint, bytes covered). It stays valid while the lines with `ts <= at` are the same: no
 * covered file vanished, was replaced or shrank, and no byte beyond what it covered (an appended
 * or backfilled line, a new file) is in an index block whose smallest `ts` is `<= at`. So a line
 * backfilled at time B invalidates the checkpoints at or after B and no earlier one.
 */
export interface Checkpoint {
  v: 2;
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
  /** fuse's `exportState` of the state. */
  state: unknown;
}

const SUBDIR = "fold-checkpoints-v2";
/** Checkpoints kept per catalyst dir at most (the oldest beyond it are removed). */
export const MAX_CHECKPOINTS = 64;
/** A checkpoint every this many lines folded (about 25 MB of a typical log). */
export const CHECKPOINT_LINES = 100_000;

function hashText(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}

/** The checkpoint dir of one catalyst dir: `<cacheDir>/fold-checkpoints-v2/<hash of the dir>`. */
export function checkpointDir(cacheDir: string, catalystDir: string): string {
  return join(cacheDir, SUBDIR, hashText(resolve(catalystDir)));
}

/** The files a checkpoint at `atMs` covers, from the layout of the log as it was folded. */
export function coverage(layout: LogLayout): Checkpoint["files"] {
  return layout.files.map(({ file, dev, ino, head, length }) => ({ file, dev, ino, head, length }));
}

/** Whether the lines with `ts <= cp.atMs` in the log described by `layout` are those `cp` folded. */
export function stillValid(cp: Checkpoint, layout: LogLayout): boolean {
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
 * The latest valid checkpoint at or before `atMs`; invalid ones met on the way are removed (the
 * fold that follows writes new ones).
 */
export async function findCheckpoint(
  dir: string,
  atMs: number,
  layout: LogLayout,
): Promise<Checkpoint | null> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return null;
  }
  const times = names
    .map((n) => /^(-?\d+)\.json$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .filter((t) => Number.isSafeInteger(t) && t <= atMs)
    .sort((a, b) => b - a);
  for (const t of times) {
    const path = join(dir, `${t}.json`);
    let cp: Checkpoint;
    try {
      cp = JSON.parse(await readFile(path, "utf8"));
    } catch {
      await unlink(path).catch(() => {});
      continue;
    }
    if (
      cp?.v === 2 &&
      cp.atMs === t &&
      Array.isArray(cp.files) &&
      typeof cp.invalidReasons === "object" &&
      cp.invalidReasons !== null &&
      stillValid(cp, layout)
    )
      return cp;
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

/** Write a checkpoint (temp file + rename); keep at most MAX_CHECKPOINTS. Best effort: a cache dir that cannot be written only costs speed. */
export async function saveCheckpoint(dir: string, cp: Checkpoint): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    const path = join(dir, `${cp.atMs}.json`);
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(cp));
    await rename(tmp, path);
    const names = (await readdir(dir)).filter((n) => /^-?\d+\.json$/.test(n));
    if (names.length > MAX_CHECKPOINTS) {
      const sorted = names.map((n) => Number(n.slice(0, -5))).sort((a, b) => a - b);
      // Over the cap: the oldest go first (the newest are where people look).
      for (const t of sorted.slice(0, names.length - MAX_CHECKPOINTS))
        await unlink(join(dir, `${t}.json`)).catch(() => {});
    }
  } catch {
    // The cache dir cannot be written: the snapshot is the same, only the next one is not faster.
  }
}
