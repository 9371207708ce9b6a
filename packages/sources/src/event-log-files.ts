import type { Dirent } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { describeReadError, EventLogReadError } from "./errors.js";

/** `events/YYYY-MM.jsonl`; `YYYY-MM.jsonl.legacy` and other names are not part of the live log. */
export const MONTH_FILE = /^\d{4}-\d{2}\.jsonl$/;

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
 * `events/YYYY-MM.jsonl` in lexical order, which is chronological (FORMATS §1.3).
 */
export async function listEventLogFiles(
  catalystDir: string,
  options: ListLogOptions = {},
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
    const code = (error as NodeJS.ErrnoException | null)?.code;
    if (options.throwOnUnlistable && code !== "ENOENT")
      throw new EventLogReadError(eventsDir, { cause: error });
    return out;
  }
  // The entry type comes with the listing; only a symlink (or an unknown type) costs a stat.
  const months = entries.filter((e) => MONTH_FILE.test(e.name)).sort((a, b) => (a.name < b.name ? -1 : 1));
  const flags = await Promise.all(
    months.map((e) => {
      if (e.isFile()) return true;
      const path = join(catalystDir, "events", e.name);
      if (e.isSymbolicLink() || !e.isDirectory()) return isFile(path, onSkipped);
      onSkipped?.(path, "a directory");
      return false;
    }),
  );
  months.forEach((e, i) => {
    if (flags[i]) out.push(join(catalystDir, "events", e.name));
  });
  return out;
}
