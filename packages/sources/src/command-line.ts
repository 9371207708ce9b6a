// What catalyst-monitor, catalyst-replay and catalyst-top read from their command lines and
// environment the same way (the catalyst dir, durations, a token file, their own version) and how
// they report a mistake (UsageError, `<bin>: <message>`, exit 2). Its own door
// (`@catalyst/sources/command-line`) so a bin can parse its flags without loading the readers.
import { constants, readFileSync } from "node:fs";
import { lstat, open, readlink, realpath } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { type ParseArgsConfig, parseArgs } from "node:util";

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

/** A TCP port written as up to five digits (0 to 65535, surrounding spaces allowed); null otherwise. */
export function parsePort(text: string): number | null {
  if (!/^\d{1,5}$/.test(text.trim())) return null;
  const port = Number(text.trim());
  return port <= 65535 ? port : null;
}

/**
 * A plain decimal number (digits with an optional fraction, no sign or exponent; surrounding
 * spaces allowed) above 0 and at most `max`; null otherwise. For flags such as `--max-file-mb`.
 */
export function parsePositiveDecimal(text: string, max: number): number | null {
  const trimmed = text.trim();
  const value = Number(trimmed);
  return /^\d+(\.\d+)?$/.test(trimmed) && value > 0 && value <= max ? value : null;
}

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
  // Only `..` itself or `../…` leaves `parent`; `..monitor.pid` is a file inside it.
  const outside = rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel);
  return !outside;
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

/**
 * `--token-file <path>` read by `readTokenFile`: the token, or a UsageError naming the flag and the
 * file (never the file's text).
 */
export async function readTokenFlag(path: string, flag = "--token-file"): Promise<string> {
  const read = await readTokenFile(path);
  if (!read.ok) throw new UsageError(`${flag} ${path} ${read.problem}`, { flag });
  return read.token;
}

/**
 * A mistake on the command line or in the environment. Every bin prints it as one line,
 * `<bin>: <message>`, without a stack trace, and exits with `EXIT_USAGE` (2).
 */
export class UsageError extends Error {
  override name = "UsageError";
  /** The flag at fault (`--since`), when there is one. */
  readonly flag: string | undefined;
  /** The value that was given, when there is one. */
  readonly value: string | undefined;
  constructor(
    message: string,
    fields: { flag?: string; value?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.flag = fields.flag;
    this.value = fields.value;
  }
}

/** The bins' exit codes: 0 done, 1 failed (unreachable, unreadable, could not start), 2 usage error. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/**
 * Prints `<bin>: <message>` for `error` and returns the exit code: `EXIT_USAGE` for a UsageError,
 * else `EXIT_FAILURE`. Only the message is printed, never a stack trace.
 */
export function reportCliError(bin: string, error: unknown, stderr: (text: string) => void): number {
  const message = error instanceof Error ? error.message : String(error);
  stderr(`${bin}: ${message}\n`);
  return error instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE;
}

/**
 * The `version` of the package.json at `url` (a bin passes `new URL("../package.json",
 * import.meta.url)`, one level above both src/ and dist/); "0.0.0" when it cannot be read.
 */
export function readPackageVersion(url: URL): string {
  try {
    const pkg = JSON.parse(readFileSync(url, "utf8")) as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : "0.0.0";
  } catch {
    return "0.0.0";
  }
}

/** The flags given on a command line, by their long name (`--since`): values in order, and switches. */
export interface GivenFlags {
  values: Map<string, string[]>;
  switches: Set<string>;
}

/**
 * Reads argv (without node and the script) with `node:util` parseArgs, by its tokens, so that every
 * mistake is a one-line UsageError the bins word alike: `unknown option --x (see --help)`,
 * `unexpected argument "x" (see --help)`, `--x needs a value[, e.g. <example>]`, `--x takes no value`.
 * A value that looks like a flag (`--dir --demo`) is a missing value, unless given as `--dir=--demo`.
 * `aliases` map an option's name to the flag it stands for (a hidden `-v` for `--version`).
 */
export function readFlags(
  argv: readonly string[],
  options: NonNullable<ParseArgsConfig["options"]>,
  {
    examples = {},
    aliases = {},
  }: { examples?: Record<string, string>; aliases?: Record<string, string> } = {},
): GivenFlags {
  const values = new Map<string, string[]>();
  const switches = new Set<string>();
  const { tokens } = parseArgs({
    args: [...argv],
    options,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  for (const token of tokens) {
    if (token.kind === "option-terminator") continue;
    if (token.kind === "positional")
      throw new UsageError(`unexpected argument ${JSON.stringify(token.value)} (see --help)`, {
        value: token.value,
      });
    const option = options[token.name];
    if (option === undefined)
      throw new UsageError(`unknown option ${token.rawName} (see --help)`, { flag: token.rawName });
    const name = `--${aliases[token.name] ?? token.name}`;
    if (option.type === "string") {
      const value = token.value;
      if (value === undefined || value === "" || (!token.inlineValue && /^--./.test(value))) {
        const example = examples[name] === undefined ? "" : `, e.g. ${examples[name]}`;
        throw new UsageError(`${name} needs a value${example}`, { flag: name });
      }
      values.set(name, [...(values.get(name) ?? []), value]);
    } else if (token.inlineValue) {
      throw new UsageError(
        `${name} takes no value, got ${JSON.stringify(`${token.rawName}=${token.value}`)}`,
        {
          flag: name,
        },
      );
    } else switches.add(name);
  }
  return { values, switches };
}

/**
 * What a bin undoes on the way out, last in first out: each step that opens something defers its
 * undoing, so stopping runs them newest first (each once; a failing step does not stop the rest).
 */
export interface CleanupStack {
  defer(step: () => unknown): void;
  run(): Promise<void>;
}

/** An empty cleanup stack. */
export function createCleanupStack(): CleanupStack {
  const steps: Array<() => unknown> = [];
  return {
    defer: (step) => void steps.push(step),
    async run() {
      for (let step = steps.pop(); step !== undefined; step = steps.pop()) {
        try {
          await step();
        } catch {
          // best effort on the way out
        }
      }
    },
  };
}
