import { checkLogLine, parseLogLine } from "./parse-log-line.js";
import { createLogReaders, type ReadEventBytes, type ReadEvents, type ReadLogLayout } from "./read-events.js";

// The readers of the package's main door, with the line parser imported statically (the main door
// loads the schema anyway). `./event-log.ts` makes its own pair that loads the parser lazily.
const readers = createLogReaders(async () => ({ parseLogLine, checkLogLine }));

/**
 * Stream event-log records (legacy `events.jsonl` and `events/YYYY-MM.jsonl`) in time order across
 * files, `since` inclusive and `until` exclusive: exactly the lines a full scan filtered by `ts`
 * would give, whatever order they were written in. Blocks whose time range misses the window are
 * never read (per-block min/max `ts` index, kept in `indexDir`); lines are parsed lazily, only when
 * handed out. Invalid and oversized lines are skipped and counted in `stats`.
 */
export const readEvents: ReadEvents = readers.readEvents;

/**
 * The same lines as {@link readEvents} (without `filter`), as raw bytes: chunks of whole lines,
 * each ending in `\n`, the original bytes of every line. A chunk is valid until the next call of
 * the iterator's `next()` (its memory is then read into again: copy it to keep it longer).
 */
export const readEventBytes: ReadEventBytes = readers.readEventBytes;

/**
 * Index the log as a read would and describe it (`LogLayout`): each file's identity, length and
 * blocks with their `ts` ranges, without reading any line. For caches of results over the log.
 */
export const readLogLayout: ReadLogLayout = readers.readLogLayout;
