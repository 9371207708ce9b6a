import { type Dirent, readdirSync, statSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { describeReadError, EventLogReadError } from "./errors.js";

/** `events/YYYY-MM.jsonl`; `YYYY-MM.jsonl.legacy` and other names are not part of the live log. */
export const MONTH_FILE = /^\d{4}-\d{2}\.jsonl$/;

/**
 * A month file rotated aside by a canonical writer (FORMATS-TODAY R1.2): `YYYY-MM.jsonl.legacy`,
 * `….legacy.<YYYYMMDDTHHMMSSZ>.<pid>[.<n>]` (bash) or `….legacy.<ISO, ':' and '.' as '-'>[.<n>]` (TS).
 * Not the live log (R1.3): read only on request (`catalyst-replay --include-legacy`).
 */
export const LEGACY_MONTH_FILE = /^(\d{4}-\d{2})\.jsonl\.legacy(?:\.(.+))?$/;

// Rotated files of one month in the order they were written: the fixed `.legacy` name (2026-05 to
// 2026-08, before stamps existed) first, then by stamp as digits (both stamp forms read as
// YYYYMMDDHHMMSS[mmm]), then by the trailing counter.
function legacyOrderKey(name: string): [string, string, number] {
  const m = LEGACY_MONTH_FILE.exec(name);
  const rest = m?.[2];
  if (!m || !rest) return [m?.[1] ?? "", "", -1];
  const parts = rest.split(".");
  const stamp = parts[0]!.replace(/\D/g, "").padEnd(17, "0");
  // bash: <stamp>.<pid>[.<n>]; TS: <stamp>[.<n>]
  const bash = /^\d{8}T\d{6}Z$/.test(parts[0]!);
  const counter = Number(parts[bash ? 2 : 1] ?? 0);
  return [m[1]!, stamp, Number.isFinite(counter) ? counter : 0];
}

function compareLegacy(a: string, b: string): number {
  const [ma, sa, na] = legacyOrderKey(a);
  const [mb, sb, nb] = legacyOrderKey(b);
  if (ma !== mb) return ma < mb ? -1 : 1;
  if (sa !== sb) return sa < sb ? -1 : 1;
  if (na !== nb) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Options of {@link listEventLogFiles}. */
export interface ListEventLogOptions {
  /** Also list rotated `YYYY-MM.jsonl.legacy*` files, each before its month's live file. @default false */
  includeLegacy?: boolean;
}

/** The legacy single-file log the SEED names (FORMATS §1.3). */
export const LEGACY_LOG = "events.jsonl";

async function isFile(path: string, onSkipped?: SkippedListener): Promise<boolean> {
  try {
    const info = await stat(path);
    if (!info.isFile()) onSkipped?.(path, "not a regular file");
    return info.isFile();
  } catch (error) {
    if ((error as NodeJS.ErrnoException | null)?.code !== "ENOENT")
      onSkipped?.(path, describeReadError(error));
    return false;
  }
}

function isFileSync(path: string, onSkipped?: SkippedListener): boolean {
  try {
    const info = statSync(path);
    if (!info.isFile()) onSkipped?.(path, "not a regular file");
    return info.isFile();
  } catch (error) {
    if (errnoOf(error) !== "ENOENT") onSkipped?.(path, describeReadError(error));
    return false;
  }
}

/** A name that looks like part of the log but is not a readable regular file, and why. */
export type SkippedListener = (path: string, reason: string) => void;

/** What a strict listing reports besides the files (the exact readers use it; the tailer does not). */
export interface ListLogOptions {
  /** A month-named entry that is a directory, a FIFO, a symlink loop…: named, not silently dropped. */
  onSkipped?: SkippedListener;
  /** `events/` exists but cannot be listed (EACCES, ENOTDIR, ELOOP): throw instead of "no files". */
  throwOnUnlistable?: boolean;
}

/**
 * The event-log files, as absolute paths: the legacy `events.jsonl` first when it exists, then
 * `events/YYYY-MM.jsonl` in lexical order, which is chronological (FORMATS §1.3). Exactly the
 * `events/*.jsonl` glob of FORMATS-TODAY R1.3: rotated `*.legacy*` files only with `includeLegacy`.
 */
export async function listEventLogFiles(
  catalystDir: string,
  options: ListEventLogOptions & ListLogOptions = {},
): Promise<string[]> {
  const { onSkipped } = options;
  const out: string[] = [];
  const legacy = join(catalystDir, LEGACY_LOG);
  if (await isFile(legacy, onSkipped)) out.push(legacy);
  let entries: Dirent[];
  const eventsDir = join(catalystDir, "events");
  try {
    entries = await readdir(eventsDir, { withFileTypes: true });
  } catch (error) {
    if (options.throwOnUnlistable && errnoOf(error) !== "ENOENT")
      throw new EventLogReadError(eventsDir, { cause: error });
    return out;
  }
  const months = logEntries(entries, options.includeLegacy === true);
  // The entry type comes with the listing; only a symlink (or an unknown type) costs a stat.
  const flags = await Promise.all(
    months.map((e) => {
      if (e.isFile()) return true;
      const path = join(eventsDir, e.name);
      if (e.isSymbolicLink() || !e.isDirectory()) return isFile(path, onSkipped);
      onSkipped?.(path, "a directory");
      return false;
    }),
  );
  months.forEach((e, i) => {
    if (flags[i]) out.push(join(eventsDir, e.name));
  });
  return out;
}

/**
 * {@link listEventLogFiles} with synchronous calls: one listing and a stat or two, microseconds
 * each, where the promise ones are thread-pool round trips (the exact readers use it: a warm query
 * reaches its first line without starting the thread pool). The same files, in the same order.
 */
export function listEventLogFilesSync(
  catalystDir: string,
  options: ListEventLogOptions & ListLogOptions = {},
): string[] {
  const { onSkipped } = options;
  const out: string[] = [];
  const legacy = join(catalystDir, LEGACY_LOG);
  if (isFileSync(legacy, onSkipped)) out.push(legacy);
  let entries: Dirent[];
  const eventsDir = join(catalystDir, "events");
  try {
    entries = readdirSync(eventsDir, { withFileTypes: true });
  } catch (error) {
    if (options.throwOnUnlistable && errnoOf(error) !== "ENOENT")
      throw new EventLogReadError(eventsDir, { cause: error });
    return out;
  }
  for (const e of logEntries(entries, options.includeLegacy === true)) {
    const path = join(eventsDir, e.name);
    if (e.isFile()) out.push(path);
    else if (e.isSymbolicLink() || !e.isDirectory()) {
      if (isFileSync(path, onSkipped)) out.push(path);
    } else onSkipped?.(path, "a directory");
  }
  return out;
}

/** The listing's log entries in log order: a month's rotated files (older lines) before its live file. */
function logEntries(entries: Dirent[], includeLegacy: boolean): Dirent[] {
  const wanted = (name: string): boolean =>
    MONTH_FILE.test(name) || (includeLegacy && LEGACY_MONTH_FILE.test(name));
  const monthOf = (name: string): string => name.slice(0, 7);
  return entries
    .filter((e) => wanted(e.name))
    .sort((a, b) => {
      const ma = monthOf(a.name);
      const mb = monthOf(b.name);
      if (ma !== mb) return ma < mb ? -1 : 1;
      const la = MONTH_FILE.test(a.name);
      const lb = MONTH_FILE.test(b.name);
      if (la !== lb) return la ? 1 : -1;
      return compareLegacy(a.name, b.name);
    });
}

function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}
