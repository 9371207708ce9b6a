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
  let names: string[];
  try {
    names = await readdir(join(catalystDir, "events"));
  } catch {
    return out;
  }
  const months = names.filter((n) => MONTH_FILE.test(n)).sort();
  const flags = await Promise.all(months.map((n) => isFile(join(catalystDir, "events", n))));
  months.forEach((n, i) => {
    if (flags[i]) out.push(join(catalystDir, "events", n));
  });
  return out;
}
