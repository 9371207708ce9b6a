// `{"ts":"` as bytes: the prefix every Catalyst writer puts first on a line.
const PREFIX = [0x7b, 0x22, 0x74, 0x73, 0x22, 0x3a, 0x22];
const QUOTE = 0x22;

function digits(buf: Buffer, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const c = buf[i]! - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  if (month !== 2) return DAYS[month - 1]!;
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
}

/**
 * The `ts` of the line `buf[start, end)` read from its bytes, without parsing the JSON or making a
 * string: only when the line starts with `{"ts":"` and the value is `YYYY-MM-DDTHH:MM:SSZ` or
 * `…SS.mmmZ` (what the writers stamp). NaN otherwise. This is a shortcut, not a definition: the
 * log index records, per block, whether it agrees with the full parse on every line, and it is used
 * only in blocks where it does. It imports nothing, so the byte path loads no schema code.
 */
export function scanTs(buf: Buffer, start: number, end: number): number {
  const at = start + PREFIX.length;
  if (end - at < 21) return Number.NaN;
  for (let k = 0; k < PREFIX.length; k++) if (buf[start + k] !== PREFIX[k]) return Number.NaN;
  let len: number;
  if (buf[at + 19] === 0x5a && buf[at + 20] === QUOTE) len = 20;
  else if (end - at >= 25 && buf[at + 19] === 0x2e && buf[at + 23] === 0x5a && buf[at + 24] === QUOTE)
    len = 24;
  else return Number.NaN;
  if (buf[at + 4] !== 0x2d || buf[at + 7] !== 0x2d || buf[at + 10] !== 0x54) return Number.NaN;
  if (buf[at + 13] !== 0x3a || buf[at + 16] !== 0x3a) return Number.NaN;
  const year = digits(buf, at, 4);
  const month = digits(buf, at + 5, 2);
  const day = digits(buf, at + 8, 2);
  const hour = digits(buf, at + 11, 2);
  const minute = digits(buf, at + 14, 2);
  const second = digits(buf, at + 17, 2);
  const ms = len === 24 ? digits(buf, at + 20, 3) : 0;
  if (
    year < 1000 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysIn(year, month) ||
    hour < 0 ||
    hour > 23
  ) {
    return Number.NaN; // the parser decides (and the block is then not pure)
  }
  if (minute < 0 || minute > 59 || second < 0 || second > 59 || ms < 0) return Number.NaN;
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
}

/**
 * Byte patterns that could make a line's parsed top-level `ts` differ from the first one written.
 * Another top-level key comes after a comma and optional JSON whitespace: compact `,"ts"`, or a
 * comma then whitespace (`, "`, `,  `; a raw tab or CR, which a JSON string cannot hold, can only
 * be whitespace); and `\u` could spell `ts` as an escape. A JSON string cannot hold a raw `"`, so
 * `, "` is never text. A line holding none of them, starting `{"ts":"<UTC time>"`, has that `ts`
 * once parsed (if it parses at all). Nested `"ts"` keys do not matter and are not looked for.
 */
export const SUSPICIOUS: readonly Buffer[] = [',"ts"', ', "', ",  ", "\t", "\r", "\\u"].map((p) =>
  Buffer.from(p),
);

/**
 * `scanTs`, and only when nothing else on the line could be the key `ts` once parsed (no
 * `SUSPICIOUS` pattern): then a valid line's parsed `ts` is this one. What the index's byte scan
 * trusts, one line at a time (the scan itself looks for the patterns once per chunk).
 */
export function scanFirstTs(buf: Buffer, start: number, end: number): number {
  const ts = scanTs(buf, start, end);
  if (Number.isNaN(ts)) return ts;
  const line = buf.subarray(start, end);
  for (const p of SUSPICIOUS) if (line.indexOf(p) !== -1) return Number.NaN;
  return ts;
}
