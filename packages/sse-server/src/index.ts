// @catalyst/sse-server: fans a delta feed (fuse, or anything of its shape: schema's `DeltaFeed`)
// out to SSE clients, each with a queue bounded in frames and bytes. A Node library with no HTTP
// framework: `open` gives a web ReadableStream, `attach` writes to a Node response. The access
// rules (Host, Origin, token) are here too, as a check the app turns into its HTTP response. The
// door names only what other members use (and the types and the `NO_FILTER` value of those
// signatures); frame encoders and queues are internal.
export type { AccessOptions, AccessRefusal, AccessRequest } from "./access.js";
export { allowedHostHeaders, createAccessCheck, formatUrlHost, isLoopbackHost } from "./access.js";
export type { DeltaFilter } from "./delta-filter.js";
export { NO_FILTER, parseDeltaFilter } from "./delta-filter.js";
export type { Listening } from "./http.js";
export { listenHttp, PortInUseError, respondSse, SSE_HEADERS } from "./http.js";
export { createLoadingMark, withLoadingState } from "./loading-feed.js";
export {
  createSnapshotFrames,
  type EncodedSnapshot,
  type SnapshotFrames,
  type SnapshotFramesOptions,
  type SteppedDeltaFeed,
} from "./snapshot-frames.js";
export type { JsonStreamOptions } from "./snapshot-json.js";
export {
  createOrchestratorJsonCache,
  snapshotJsonPieces,
  snapshotJsonStream,
} from "./snapshot-json.js";
export type { ClientEvent, OpenClientOptions, SseHub, SseHubOptions } from "./sse-hub.js";
export { createSseHub, parseEventId } from "./sse-hub.js";
