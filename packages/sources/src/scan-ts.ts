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
 * string: when the line starts with `{"ts":"` (what the v1 and canonical writers put first) or ends
 * with `,"ts":"…"}` (the bare v3 lines of FORMATS-TODAY R1.13 put it last), and the value is
 * `YYYY-MM-DDTHH:MM:SSZ` or `…SS.mmmZ`. NaN otherwise. This is a shortcut, not a definition: the
 * log index records, per block, whether it agrees with the full parse on every line, and it is used
 * only in blocks where it does. It imports nothing, so the byte path loads no schema code.
 */
export function scanTs(buf: Buffer, start: number, end: number): number {
  if (tsFirst(buf, start)) return tsAt(buf, start + PREFIX.length, end);
  return tsAtTail(buf, start, end);
}

/**
 * Whether the line at `start` begins `{"ts":"`: then `scanTs` reads the first `ts` written, which
 * a later top-level `ts` would override once parsed (see `scanFirstTs`). Otherwise `scanTs` reads a
 * `ts` that closes the line (`,"ts":"…"}`): in a valid line that is the top-level object's last
 * key (the `"` before `}` ends a string of time characters, opened after `:` by an unescaped quote,
 * its key `"ts"` after a comma), and the last of duplicate keys is the one a parse keeps.
 */
export function tsFirst(buf: Buffer, start: number): boolean {
  for (let k = 0; k < PREFIX.length; k++) if (buf[start + k] !== PREFIX[k]) return false;
  return true;
}

// `,"ts":"` and the closing `"}` around a 20- or 24-byte value at the very end of the line.
const TAIL_KEY = [0x2c, 0x22, 0x74, 0x73, 0x22, 0x3a, 0x22];

function tsAtTail(buf: Buffer, start: number, end: number): number {
  if (buf[end - 1] !== 0x7d || buf[end - 2] !== QUOTE) return Number.NaN;
  for (const len of [20, 24]) {
    const at = end - 2 - len;
    const key = at - TAIL_KEY.length;
    if (key <= start) continue;
    let match = true;
    for (let k = 0; k < TAIL_KEY.length; k++) {
      if (buf[key + k] !== TAIL_KEY[k]) {
        match = false;
        break;
      }
    }
    if (match) return tsAt(buf, at, end - 1);
  }
  return Number.NaN;
}

// The last `YYYY-MM-DDTHH` read and its time: lines of one hour share it, so most lines cost a
// 13-byte compare and three two-digit numbers instead of a calendar check and a Date.UTC.
const lastHour = new Uint8Array(13);
let lastHourMs = Number.NaN;

function hourAt(buf: Buffer, at: number): number {
  if (!Number.isNaN(lastHourMs)) {
    let same = true;
    for (let k = 0; k < 13; k++) {
      if (buf[at + k] !== lastHour[k]) {
        same = false;
        break;
      }
    }
    if (same) return lastHourMs;
  }
  if (buf[at + 4] !== 0x2d || buf[at + 7] !== 0x2d || buf[at + 10] !== 0x54) return Number.NaN;
  const year = digits(buf, at, 4);
  const month = digits(buf, at + 5, 2);
  const day = digits(buf, at + 8, 2);
  const hour = digits(buf, at + 11, 2);
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
  for (let k = 0; k < 13; k++) lastHour[k] = buf[at + k]!;
  lastHourMs = Date.UTC(year, month - 1, day, hour);
  return lastHourMs;
}

function tsAt(buf: Buffer, at: number, end: number): number {
  if (end - at < 21) return Number.NaN;
  let len: number;
  if (buf[at + 19] === 0x5a && buf[at + 20] === QUOTE) len = 20;
  else if (end - at >= 25 && buf[at + 19] === 0x2e && buf[at + 23] === 0x5a && buf[at + 24] === QUOTE)
    len = 24;
  else return Number.NaN;
  if (buf[at + 13] !== 0x3a || buf[at + 16] !== 0x3a) return Number.NaN;
  const base = hourAt(buf, at);
  if (Number.isNaN(base)) return Number.NaN;
  const minute = digits(buf, at + 14, 2);
  const second = digits(buf, at + 17, 2);
  const ms = len === 24 ? digits(buf, at + 20, 3) : 0;
  if (minute < 0 || minute > 59 || second < 0 || second > 59 || ms < 0) return Number.NaN;
  return base + minute * 60_000 + second * 1000 + ms;
}

/** `ts"`: the end of every string ending in `ts`, keys among them. */
export const TS_QUOTE: Buffer = Buffer.from('ts"');
/** `\u`: an escape could spell `ts`. */
export const ESCAPE_U: Buffer = Buffer.from("\\u");

/**
 * Whether the `ts"` found at `at` may close a key: a raw `"` in JSON text always delimits a
 * string (inside one it is escaped, `\"`, so `ts\"` does not match), and `ts` cannot end anything
 * else, so `ts"` closes a string ending in `ts`. A value is followed by `,`, `}` or `]`; only a
 * key by `:` (after optional whitespace). So anything else after it (or the line's end) might be
 * a key `"ts"` (or `"parts"`, which is only a cost: the line is parsed).
 */
export function mayCloseKey(buf: Buffer, at: number, end: number): boolean {
  if (at + 3 >= end) return true;
  const c = buf[at + 3];
  return c !== 0x2c && c !== 0x7d && c !== 0x5d;
}

/**
 * `scanTs`, and only when nothing else on the line could be the key `ts` once parsed (a `ts`
 * closing the line; or a first one, and no other `ts"` on the line that may close a key, and no
 * `\u` escape): then a valid line's parsed `ts` is this one. JSON.parse keeps the last of
 * duplicate keys; nested `ts` keys only cost a parse. What the index's byte scan trusts, one line
 * at a time (the scan itself looks for the patterns once per chunk, with the same rule).
 */
export function scanFirstTs(buf: Buffer, start: number, end: number): number {
  const ts = scanTs(buf, start, end);
  if (Number.isNaN(ts) || !tsFirst(buf, start)) return ts;
  const esc = buf.indexOf(ESCAPE_U, start);
  if (esc !== -1 && esc < end) return Number.NaN;
  let at = buf.indexOf(TS_QUOTE, start + 3);
  while (at !== -1 && at < end) {
    if (mayCloseKey(buf, at, end)) return Number.NaN;
    at = buf.indexOf(TS_QUOTE, at + 1);
  }
  return ts;
}
