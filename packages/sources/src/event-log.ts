// A second, narrow door (`@catalyst/sources/event-log`): the exact log reader and nothing else.
// Everything here is also exported from the package's main door. It exists for start-up time:
// importing it loads no watcher, no tailer and no schema (the line parser and zod are loaded on
// first use, and a jsonl read over an indexed, plain log never uses them), so catalyst-replay's
// bundled bin reaches its first line sooner. Do not add anything that imports @catalyst/schema.
export type { IndexProgress } from "./log-index.js";
export { resolveCacheDir } from "./log-index.js";
export type { EventReadStats, ReadEventsOptions } from "./read-events.js";
export { DEFAULT_MAX_LINE_BYTES, readEventBytes, readEvents } from "./read-events.js";
