import type { Dirent } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";

/** `events/YYYY-MM.jsonl`; `YYYY-MM.jsonl.legacy` and other names are not part of the live log. */
export const MONTH_FILE = /^\d{4}-\d{2}\.jsonl$/;

/** The legacy single-file log the SEED names (FORMATS §1.3). */
export const LEGACY_LOG = "events.jsonl";

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * The event-log files, as absolute paths: the legacy `events.jsonl` first when it exists, then
 * `events/YYYY-MM.jsonl` in lexical order, which is chronological (FORMATS §1.3).
 */
export async function listEventLogFiles(catalystDir: string): Promise<string[]> {
  const out: string[] = [];
  const legacy = join(catalystDir, LEGACY_LOG);
  if (await isFile(legacy)) out.push(legacy);
  let entries: Dirent[];
  try {
    entries = await readdir(join(catalystDir, "events"), { withFileTypes: true });
  } catch {
    return out;
  }
  // The entry type comes with the listing; only a symlink (or an unknown type) costs a stat.
  const months = entries.filter((e) => MONTH_FILE.test(e.name)).sort((a, b) => (a.name < b.name ? -1 : 1));
  const flags = await Promise.all(
    months.map((e) =>
      e.isFile()
        ? true
        : e.isSymbolicLink() || !e.isDirectory()
          ? isFile(join(catalystDir, "events", e.name))
          : false,
    ),
  );
  months.forEach((e, i) => {
    if (flags[i]) out.push(join(catalystDir, "events", e.name));
  });
  return out;
}
