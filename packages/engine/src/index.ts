// A live fleet in-process: the sources, the log history and the pollers wired into fuse.

// The token lookup the monitor uses (GITHUB_TOKEN, GH_TOKEN, `gh auth token`), for apps that run the engine.
export { resolveGithubToken } from "@catalyst/pollers";
export type { BudgetOver, BudgetWatch, BudgetWatchOptions } from "./budget-watch.js";
export { createBudgetWatch } from "./budget-watch.js";
export type { PartsOptions, ReadEvents } from "./build-parts.js";
export { buildParts } from "./build-parts.js";
// The central monitor's values (NATS) are in their own door, `@catalyst/engine/central`: naming them
// here would put the NATS client in every bundle of this door (`createFleet` loads it only for --nats).
export type { CentralEngine, CentralEngineOptions, CentralOptions, CentralParts } from "./central.js";
export type {
  CentralFoldResult,
  CentralFoldStats,
  CentralTimeTravel,
  CentralTimeTravelOptions,
  CentralTimeTravelServiceOptions,
} from "./central-time-travel.js";
export type { Engine, EngineOptions } from "./engine.js";
export { createEngine, rateLimitedWarn, reportSourceErrors } from "./engine.js";
export type { EventLoopDelay, EventLoopDelayMeter } from "./event-loop-delay.js";
export { createEventLoopDelayMeter } from "./event-loop-delay.js";
export type { Fleet, FleetLogger, FleetOptions } from "./fleet.js";
export { centralHealth, createFleet, logHistory, startFolding, startPublishing } from "./fleet.js";
export type { HealthInputs } from "./health.js";
export {
  degradedSources,
  healthReport,
  isComponentFailing,
  MAX_DEGRADED_SOURCES,
  UNCONFIGURED_HEALTH,
} from "./health.js";
export type {
  EngineLogger,
  FuseLike,
  HistoryResult,
  HostsInput,
  LivenessInput,
  LivenessPollerLike,
  Monitor,
  MonitorOptions,
  MonitorParts,
  PrPollerLike,
  WatcherInput,
  WatcherLike,
} from "./monitor.js";
export { createMonitor } from "./monitor.js";
export type {
  Checkpoint,
  FoldAtOptions,
  FoldAtResult,
  FoldAtStats,
  HistoricalSnapshot,
  TimeTravel,
  TimeTravelOptions,
} from "./time-travel.js";
export {
  CHECKPOINT_LINES,
  checkpointDir,
  createTimeTravel,
  foldAt,
  logSignature,
  MAX_CHECKPOINTS,
  TimeTravelBusyError,
} from "./time-travel.js";
