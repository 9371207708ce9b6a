export { createPaint, shouldUseColour } from "./colour.js";
export { MalformedLineError, ReplayReadError, UsageError } from "./errors.js";
export { buildEventFilter, type EventFilterSpec } from "./event-filter.js";
export { createPrettyFormatter, formatTime, summarizeDetail } from "./format-pretty.js";
export { formatSnapshot } from "./format-snapshot.js";
export { renderHelp } from "./help.js";
export { createOutputBuffer, createStringSink, type OutputBuffer, type TextSink } from "./output-buffer.js";
export {
  type NatsReplayOptions,
  type ParseArgsContext,
  parseReplayArgs,
  REPLAY_FORMATS,
  type ReplayCommand,
  type ReplayFormat,
  type ReplayOptions,
} from "./parse-args.js";
export { parseTimeArg, TIME_EXAMPLES } from "./parse-time.js";
export { type ReplayIo, type ReplaySummary, replay } from "./replay.js";
export { defaultReplayDeps, type ReadStats, type ReplayDeps } from "./replay-deps.js";
