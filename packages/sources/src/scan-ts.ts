import { timestampMs } from "@catalyst/schema";

// `{"ts":"` as bytes: the prefix every Catalyst writer puts first on a line.
const PREFIX = [0x7b, 0x22, 0x74, 0x73, 0x22, 0x3a, 0x22];
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** Longer than any ISO 8601 timestamp: a longer value is not one. */
const MAX_TS_CHARS = 40;

/**
 * The `ts` of the line `buf[start, end)` read from its bytes, without parsing the JSON: only when
 * the line starts with `{"ts":"` and the value is a plain string. NaN otherwise. The log index
 * records, per block, whether this agrees with the full parse on every line; only then is it used.
 */
export function scanTs(buf: Buffer, start: number, end: number): number {
  if (end - start < PREFIX.length + 2) return Number.NaN;
  for (let k = 0; k < PREFIX.length; k++) if (buf[start + k] !== PREFIX[k]) return Number.NaN;
  const from = start + PREFIX.length;
  const limit = Math.min(end, from + MAX_TS_CHARS);
  for (let i = from; i < limit; i++) {
    const b = buf[i];
    if (b === QUOTE) return timestampMs(buf.toString("latin1", from, i));
    if (b === BACKSLASH || b! >= 0x80) return Number.NaN;
  }
  return Number.NaN;
}
