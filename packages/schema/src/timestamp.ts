import { z } from "zod";
import { isTimestamp } from "./timestamp-parse.js";

export { isTimestamp, slowTimestampMs, timestampMs } from "./timestamp-parse.js";

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
