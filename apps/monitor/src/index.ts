// The monitor's public door: the app factory and its pieces, for tests, benches and embedding.
// The SSE hub, queues, filters and frames are @catalyst/sse-server's; the in-process wiring
// (sources → fuse ← pollers) is @catalyst/engine's.
export type {
  FuseLike,
  LivenessPollerLike,
  Monitor,
  MonitorOptions,
  MonitorParts,
  PrPollerLike,
  WatcherLike,
} from "@catalyst/engine";
export { createMonitor } from "@catalyst/engine";
export type { CliOptions } from "./cli/parse-args.js";
export { DEFAULT_PORT, parseCliArgs } from "./cli/parse-args.js";
export { PidFileError, PortInUseError, UsageError } from "./errors.js";
export type { Logger, LoggerOptions, LogLevel } from "./logger.js";
export { createLogger } from "./logger.js";
export type { AccessOptions } from "./server/access-guard.js";
export { createAccessGuard } from "./server/access-guard.js";
export type { AppDeps, HealthReporters } from "./server/create-app.js";
export { createApp } from "./server/create-app.js";
export type { ReadEvents } from "./server/events-api.js";
export type { Listening } from "./server/listen.js";
export { listenApp } from "./server/listen.js";
