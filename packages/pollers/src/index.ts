export type { CheckRollup, CiStatus, RollupContext } from "./ci-status.js";
export { ciStatusFromRollup } from "./ci-status.js";
export type { Clock } from "./clock.js";
export { systemClock } from "./clock.js";
export { GithubGraphqlError, RequestTimeoutError } from "./errors.js";
export type { GithubTokenSource } from "./github-token.js";
export { resolveGithubToken } from "./github-token.js";
export type { LivenessPoller, LivenessPollerOptions, LivenessReport } from "./liveness-poller.js";
export {
  createLivenessPoller,
  DEFAULT_LIVENESS_INTERVAL_MS,
  MAX_LIVENESS_INTERVAL_MS,
  MIN_LIVENESS_INTERVAL_MS,
} from "./liveness-poller.js";
export type { JobProbe, JobProbeAnswer, KillProbe, LivenessDeps } from "./pid-liveness.js";
export { checkLiveness, DEFAULT_START_SLACK_MS, isPidAlive } from "./pid-liveness.js";
export type { PrPoller, PrPollerOptions, PrPollerStats } from "./pr-poller.js";
export { createPrPoller } from "./pr-poller.js";
export { parsePrUrl, parsePrValue, prKey } from "./pr-ref.js";
export { readProcessStartMs } from "./proc-stat.js";
