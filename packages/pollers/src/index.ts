export type { Clock } from "./clock.js";
export { systemClock } from "./clock.js";
export { RequestTimeoutError } from "./errors.js";
export type { LivenessPoller, LivenessPollerOptions, LivenessReport } from "./liveness-poller.js";
export { createLivenessPoller } from "./liveness-poller.js";
export type { KillProbe, LivenessDeps, LivenessTarget } from "./pid-liveness.js";
export {
  checkLiveness,
  createProcessStartReader,
  DEFAULT_START_SLACK_MS,
  isPidAlive,
} from "./pid-liveness.js";
export {
  CLOCK_TICKS_PER_SECOND,
  parseProcStatStartTicks,
  readBootTimeMs,
  readProcessStartMs,
} from "./proc-stat.js";
