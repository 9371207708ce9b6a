// What catalyst-monitor and catalyst-replay read from their command lines and environment the
// same way: the catalyst dir and durations. Its own door (`@catalyst/sources/command-line`) so a
// bin can parse its flags without loading the readers.
import { resolve } from "node:path";

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
