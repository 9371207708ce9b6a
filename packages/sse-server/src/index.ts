// @catalyst/sse-server: fans a delta feed (fuse, or anything of its shape) out to SSE clients,
// each with a queue bounded in frames and bytes. A Node library with no HTTP framework: `open`
// gives a web ReadableStream, `attach` writes to a Node response. The access rules (Host, Origin,
// token) are here too, as a check the app turns into its HTTP response.
export type { AccessOptions, AccessRefusal, AccessRequest } from "./access.js";
export {
  allowedHostHeaders,
  createAccessCheck,
  formatUrlHost,
  isLoopbackHost,
  isWildcard,
  localInterfaceAddresses,
} from "./access.js";
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
export type { Listening } from "./http.js";
export { listenHttp, PortInUseError, respondSse, SSE_HEADERS } from "./http.js";
export { throttleWhileLoading, withLoadingState } from "./loading-feed.js";
export { createSnapshotSerializer } from "./snapshot-json.js";
export { encodeSseComment, encodeSseFrame, encodeSseRetry, encodeSseText } from "./sse-frame.js";
export type { ClientEvent, DeltaFeed, OpenClientOptions, SseHub, SseHubOptions } from "./sse-hub.js";
export { createSseHub, parseEventId } from "./sse-hub.js";
