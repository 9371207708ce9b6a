// Timestamp parsing without zod, so browser bundles (fuse's applyDelta) can use it.
// Shell writers stamp `2026-04-14T19:03:01Z`, TypeScript writers `2026-04-14T19:03:01.482Z`
// (FORMATS §0). Accept both, and explicit offsets, but compare only after parsing.
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

function digitsAt(s: string, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

// Event logs hold millions of `YYYY-MM-DDTHH:MM:SSZ` / `…SS.mmmZ` stamps: read the plain cases of
// those two forms by hand (about 10× faster than regex + Date.parse). NaN here means "not a plain
// case", and the caller falls back to the general path, so both always give the same answer.
function fastUtcMs(value: string): number {
  const len = value.length;
  if ((len !== 20 && len !== 24) || value.charCodeAt(len - 1) !== 90 /* Z */) return Number.NaN;
  if (value[4] !== "-" || value[7] !== "-" || value[10] !== "T" || value[13] !== ":" || value[16] !== ":") {
    return Number.NaN;
  }
  const year = digitsAt(value, 0, 4);
  const month = digitsAt(value, 5, 2);
  const day = digitsAt(value, 8, 2);
  const hour = digitsAt(value, 11, 2);
  const minute = digitsAt(value, 14, 2);
  const second = digitsAt(value, 17, 2);
  let ms = 0;
  if (len === 24) {
    if (value[19] !== ".") return Number.NaN;
    ms = digitsAt(value, 20, 3);
  }
  // Day 29–31, years before 1000 and out-of-range fields go the general way (Date.parse has its own
  // rules for them).
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > 28 || hour < 0 || hour > 23)
    return Number.NaN;
  if (minute < 0 || minute > 59 || second < 0 || second > 59 || ms < 0) return Number.NaN;
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
}

/** The general path: any ISO 8601 form with a zone. Exported for the equivalence test. */
export function slowTimestampMs(value: string): number {
  if (!ISO_DATE_TIME.test(value)) return Number.NaN;
  return Date.parse(value);
}

/** Milliseconds since the epoch for an ISO 8601 date-time, or NaN when it does not parse. */
export function timestampMs(value: string): number {
  const fast = fastUtcMs(value);
  return Number.isNaN(fast) ? slowTimestampMs(value) : fast;
}

/** True when the string is an ISO 8601 date-time with a zone, with or without milliseconds. */
export function isTimestamp(value: unknown): value is string {
  return typeof value === "string" && Number.isFinite(timestampMs(value));
}
