// The monitor's public door: the app factory and its pieces, for tests, benches and embedding.

export type {
  FuseLike,
  LivenessPollerLike,
  LivenessTargetRef,
  Monitor,
  MonitorOptions,
  MonitorParts,
  PrPollerLike,
  PrRefLike,
  WatcherLike,
} from "@catalyst/engine";
export { createMonitor } from "@catalyst/engine";
export type { CliOptions } from "./cli/parse-args.js";
export { DEFAULT_PORT, parseCliArgs } from "./cli/parse-args.js";
export { PidFileError, PortInUseError, UsageError } from "./errors.js";
export type { Logger, LoggerOptions, LogLevel } from "./logger.js";
export { createLogger } from "./logger.js";
export type { AccessOptions } from "./server/access-guard.js";
export { allowedHostHeaders, createAccessGuard, isLoopbackHost } from "./server/access-guard.js";
export type { ClientEndReason, ClientQueue, ClientQueueLimits } from "./server/client-queue.js";
export { createClientQueue } from "./server/client-queue.js";
export type { AppDeps, HealthReporters } from "./server/create-app.js";
export { createApp } from "./server/create-app.js";
export type { DeltaFilter } from "./server/delta-filter.js";
export { matchesDelta, NO_FILTER, parseDeltaFilter } from "./server/delta-filter.js";
export type { ReadEvents } from "./server/events-api.js";
export type { Listening } from "./server/listen.js";
export { listenApp } from "./server/listen.js";
export { encodeSseComment, encodeSseFrame, encodeSseRetry } from "./server/sse-frame.js";
export type { ClientEvent, DeltaFeed, OpenClientOptions, SseHub, SseHubOptions } from "./server/sse-hub.js";
export { createSseHub } from "./server/sse-hub.js";
