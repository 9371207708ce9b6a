import type { Dirent } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";

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

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * The event-log files, as absolute paths: the legacy `events.jsonl` first when it exists, then
 * `events/YYYY-MM.jsonl` in lexical order, which is chronological (FORMATS §1.3). Exactly the
 * `events/*.jsonl` glob of FORMATS-TODAY R1.3: rotated `*.legacy*` files only with `includeLegacy`.
 */
export async function listEventLogFiles(
  catalystDir: string,
  options: ListEventLogOptions = {},
): Promise<string[]> {
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
  const wanted = (name: string): boolean =>
    MONTH_FILE.test(name) || (options.includeLegacy === true && LEGACY_MONTH_FILE.test(name));
  // A month's rotated files hold its older lines: they come before its live file.
  const monthOf = (name: string): string => name.slice(0, 7);
  const months = entries
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
