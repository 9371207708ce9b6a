import { z } from "zod";

// Shell writers stamp `2026-04-14T19:03:01Z`, TypeScript writers `2026-04-14T19:03:01.482Z`
// (FORMATS §0). Accept both, and explicit offsets, but compare only after parsing.
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** Milliseconds since the epoch for an ISO 8601 date-time, or NaN when it does not parse. */
export function timestampMs(value: string): number {
  if (!ISO_DATE_TIME.test(value)) return Number.NaN;
  return Date.parse(value);
}

/** True when the string is an ISO 8601 date-time with a zone, with or without milliseconds. */
export function isTimestamp(value: unknown): value is string {
  return typeof value === "string" && Number.isFinite(timestampMs(value));
}

/** An ISO 8601 UTC date-time string, kept as written. */
export const Timestamp = z.string().refine(isTimestamp, { message: "ISO 8601 date-time" }).meta({
  format: "date-time",
  description: "ISO 8601 date-time with zone, with or without milliseconds",
});
export type Timestamp = z.infer<typeof Timestamp>;

/**
 * A timestamp that writers may leave empty or null (`lastUpdated: ""` after init, FORMATS §1.5).
 * Empty strings and null both mean "not set".
 */
export const OptionalTimestamp = z.union([Timestamp, z.literal(""), z.null()]).optional();
