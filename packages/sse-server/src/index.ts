// @catalyst/sse-server: fans a delta feed (fuse, or anything of its shape) out to SSE clients,
// each with a queue bounded in frames and bytes. A Node library with no HTTP framework: `open`
// gives a web ReadableStream, `attach` writes to a Node response.
export type {
  ByteSink,
  ClientEndReason,
  ClientQueue,
  ClientQueueLimits,
  OverflowHandler,
} from "./client-queue.js";
export { createClientQueue, createSinkClientQueue } from "./client-queue.js";
export type { DeltaFilter } from "./delta-filter.js";
export { isOpenFilter, matchesDelta, NO_FILTER, parseDeltaFilter } from "./delta-filter.js";
export { createSnapshotSerializer } from "./snapshot-json.js";
export { encodeSseComment, encodeSseFrame, encodeSseRetry, encodeSseText } from "./sse-frame.js";
export type { ClientEvent, DeltaFeed, OpenClientOptions, SseHub, SseHubOptions } from "./sse-hub.js";
export { createSseHub, parseEventId } from "./sse-hub.js";
