import { parseDuration } from "@catalyst/sources/command-line";
import { UsageError } from "./errors.js";

// FORMATS §0: writers stamp UTC, with or without milliseconds. A value typed by a person may
// also drop the seconds, the zone or the whole time; a missing zone means UTC (said in --help).
const ISO_LIKE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** An example of each accepted form, used in error messages and --help. */
export const TIME_EXAMPLES = "2026-04-14T19:00:00Z, 2026-04-14T19:00, 2026-04-14, 15m, 2h or 3d";

/**
 * Parse a `--since`/`--until`/`--at` value: ISO 8601 (UTC when no zone is given), a date (its
 * UTC midnight), or a relative age (`90s`, `15m`, `2h`, `3d`, `1w`) counted back from `now`.
 * Throws UsageError naming the flag, the value and an example.
 */
export function parseTimeArg(flag: string, value: string, now: Date): Date {
  const trimmed = value.trim();
  // A relative age in the duration grammar the monitor's --history uses too.
  if (/^\d+[smhdw]$/.test(trimmed)) {
    const age = parseDuration(trimmed);
    const ms = age === null ? Number.NaN : now.getTime() - age;
    if (Number.isFinite(ms) && Math.abs(ms) <= 8.64e15) return new Date(ms);
    throw invalid(flag, value);
  }
  const iso = ISO_LIKE.exec(trimmed);
  if (!iso) throw invalid(flag, value);
  const [, y, mo, d, h = "00", mi = "00", s = "00", frac = "", zone = "Z"] = iso;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysIn(year, month) ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    throw invalid(flag, value);
  }
  const millis = frac === "" ? 0 : Math.floor(Number(`0.${frac}`) * 1000);
  const offsetMin = parseZone(zone);
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMin * 60_000;
  return new Date(ms);
}

function parseZone(zone: string): number {
  if (zone.toUpperCase() === "Z") return 0;
  const sign = zone.startsWith("-") ? -1 : 1;
  const digits = zone.slice(1).replace(":", "");
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function invalid(flag: string, value: string): UsageError {
  return new UsageError(
    `invalid ${flag} value ${JSON.stringify(value)}: expected a time such as ${TIME_EXAMPLES}`,
    { flag, value },
  );
}
