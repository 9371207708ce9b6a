// A second, narrow door (`@catalyst/sources/event-log`): the exact log readers and nothing else,
// the same as the main door's. It exists for start-up time: importing it loads no watcher, no
// tailer and no schema; the line parser (and zod) are loaded on first use, and a jsonl read over an
// indexed, plain log never uses them. catalyst-replay's bundled bin imports this door. Do not add
// anything here that imports @catalyst/schema at the top.
import type { LineParsers } from "./parse-log-line.js";
import { createLogReaders, type ReadEventBytes, type ReadEvents, type ReadLogLayout } from "./read-events.js";

export type { IndexProgress } from "./log-index.js";
export { INDEX_SUBDIR, resolveCacheDir } from "./log-index.js";
export type {
  EventReadStats,
  LogLayout,
  ReadEventBytes,
  ReadEvents,
  ReadEventsOptions,
  ReadLogLayout,
} from "./read-events.js";
export { DEFAULT_MAX_LINE_BYTES } from "./read-events.js";

const readers = createLogReaders(async (): Promise<LineParsers> => {
  const { parseLogLine, checkLogLine } = await import("./parse-log-line.js");
  return { parseLogLine, checkLogLine };
});

/** `readEvents` of the main door, loading the line parser only when a line needs parsing. */
export const readEvents: ReadEvents = readers.readEvents;
/** `readEventBytes` of the main door, loading the line parser only when a line needs parsing. */
export const readEventBytes: ReadEventBytes = readers.readEventBytes;

/**
 * Index the log as a read would and describe it (`LogLayout`): each file's identity, length and
 * blocks with their `ts` ranges, without reading any line. For caches of results over the log.
 */
export const readLogLayout: ReadLogLayout = readers.readLogLayout;
