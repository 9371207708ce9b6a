// What catalyst-monitor and catalyst-replay read from their command lines and environment the
// same way: the catalyst dir and durations. Its own door (`@catalyst/sources/command-line`) so a
// bin can parse its flags without loading the readers.
import { constants } from "node:fs";
import { lstat, open, readlink, realpath } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";

/**
 * The catalyst dir, absolute: `--dir` when given (`~` and `~/…` expanded), else `$CATALYST_DIR`
 * when set and not empty, else `~/catalyst`. Relative paths are taken from `cwd`.
 */
export function resolveCatalystDir(
  flag: string | undefined,
  env: Record<string, string | undefined>,
  home: string,
  cwd: string = process.cwd(),
): string {
  const given = flag ?? (env.CATALYST_DIR || undefined);
  if (given === undefined) return resolve(home, "catalyst");
  const expanded = given === "~" || given.startsWith("~/") ? home + given.slice(1) : given;
  return resolve(cwd, expanded);
}

/**
 * Claude Code's jobs root, absolute (FORMATS-TODAY §3.5): `--jobs-dir` when given (`~` expanded),
 * else `$CATALYST_REVIVE_JOBS_DIR` when set and not empty, else `~/.claude/jobs`.
 */
export function resolveJobsDir(
  flag: string | undefined,
  env: Record<string, string | undefined>,
  home: string,
  cwd: string = process.cwd(),
): string {
  const given = (flag || undefined) ?? (env.CATALYST_REVIVE_JOBS_DIR || undefined);
  if (given === undefined) return join(home, ".claude", "jobs");
  const expanded = given === "~" || given.startsWith("~/") ? home + given.slice(1) : given;
  return resolve(cwd, expanded);
}

/** Milliseconds per duration unit: seconds, minutes, hours, days, weeks. */
export const DURATION_UNIT_MS: Readonly<Record<string, number>> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** The largest duration accepted: the span of JavaScript dates (±8.64e15 ms). */
const MAX_DURATION_MS = 8.64e15;

/** Examples of the duration grammar, for help texts and error messages. */
export const DURATION_EXAMPLES = "90s, 15m, 2h, 7d or 1w";

/**
 * A whole number with a unit, `90s`, `15m`, `2h`, `7d`, `1w`, in milliseconds; null when the text
 * is not one (or is longer than dates reach). `--history` and replay's relative times both use it.
 */
export function parseDuration(text: string): number | null {
  const match = /^(\d{1,16})([smhdw])$/.exec(text.trim());
  if (match === null) return null;
  const ms = Number(match[1]) * DURATION_UNIT_MS[match[2]!]!;
  return ms <= MAX_DURATION_MS ? ms : null;
}

/** True when `child` is `parent` or below it, by name (both absolute; no symlinks followed). */
export function isInsideDir(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/** Realpath of `path`, or of its nearest existing ancestor with the rest appended. */
async function realpathLoose(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    const parent = dirname(path);
    if (parent === path) return path;
    return join(await realpathLoose(parent), basename(path));
  }
}

/**
 * Where a write to `file` would really land, and whether that is inside `dir`: through a symlinked
 * `dir`, a symlinked directory followed by `..`, or a `file` that is itself a symlink. The bins use
 * it to keep their own files (pid file, service unit) out of the catalyst dir, which they never
 * write into.
 */
export async function resolvesInsideDir(
  file: string,
  dir: string,
): Promise<{ inside: boolean; target: string; realDir: string }> {
  const realDir = await realpathLoose(resolve(dir));
  // Not resolve()d: that would fold `link/..` by name, where the kernel follows the link first.
  const raw = isAbsolute(file) ? file : `${process.cwd()}/${file}`;
  let target = join(await realpathLoose(dirname(raw)), basename(raw));
  try {
    if ((await lstat(target)).isSymbolicLink())
      target = await realpathLoose(resolve(dirname(target), await readlink(target)));
  } catch {
    // absent: it is created where `target` says
  }
  return { inside: isInsideDir(realDir, target), target, realDir };
}

/**
 * The token on the first line of a `--token-file` (read non-blocking, at most 4 KiB, regular files
 * only). A problem comes back as a phrase for the bin's usage error, never with the file's text.
 */
export async function readTokenFile(
  path: string,
): Promise<{ ok: true; token: string } | { ok: false; problem: string }> {
  let text: string;
  try {
    const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const st = await handle.stat();
      if (!st.isFile() || st.size > 4096) return { ok: false, problem: "is not a small regular file" };
      text = await handle.readFile("utf8");
    } finally {
      await handle.close();
    }
  } catch (error) {
    return { ok: false, problem: `cannot be read (${(error as { code?: string }).code ?? String(error)})` };
  }
  const token = text.split(/\r?\n/)[0]?.trim() ?? "";
  return token === "" ? { ok: false, problem: "holds no token on its first line" } : { ok: true, token };
}
