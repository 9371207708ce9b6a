export type { CheckRollup, CiStatus, RollupContext } from "./ci-status.js";
export { ciStatusFromRollup } from "./ci-status.js";
export type { Clock } from "./clock.js";
export { systemClock } from "./clock.js";
export { GithubGraphqlError, RequestTimeoutError } from "./errors.js";
export type { GithubTokenSource } from "./github-token.js";
export { resolveGithubToken, runGhAuthToken } from "./github-token.js";
export type { LivenessPoller, LivenessPollerOptions, LivenessReport } from "./liveness-poller.js";
export { createLivenessPoller } from "./liveness-poller.js";
export type { KillProbe, LivenessDeps, LivenessTarget } from "./pid-liveness.js";
export {
  checkLiveness,
  createProcessStartReader,
  DEFAULT_START_SLACK_MS,
  isPidAlive,
} from "./pid-liveness.js";
export type { PrPoller, PrPollerOptions, PrPollerStats } from "./pr-poller.js";
export { createPrPoller } from "./pr-poller.js";
export type { PrQuery } from "./pr-query.js";
export { buildPrQuery, ROLLUP_PAGE_SIZE } from "./pr-query.js";
export type { PrRef } from "./pr-ref.js";
export { parsePrUrl, prKey, prRefOf } from "./pr-ref.js";
export {
  CLOCK_TICKS_PER_SECOND,
  parseProcStatStartTicks,
  readBootTimeMs,
  readProcessStartMs,
} from "./proc-stat.js";
