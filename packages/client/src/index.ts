export type {
  Connection,
  ConnectionOptions,
  ConnectionStatus,
  EventSourceConstructor,
  EventSourceLike,
} from "./connection.js";
export { createMonitorConnection } from "./connection.js";
export type { FleetListener, FleetStore } from "./fleet-store.js";
export { createFleetStore } from "./fleet-store.js";
export type { FleetFollower, FollowFleetOptions } from "./follow-fleet.js";
export { followFleet } from "./follow-fleet.js";
export type { HealthProbe, HealthProbeOptions } from "./health-probe.js";
export { describeHealthProbe, formatUptime, probeMonitorHealth } from "./health-probe.js";
export {
  describeSkippedLines,
  describeStaleHost,
  fleetHosts,
  formatSilence,
  heartbeatAgeMs,
  hostOf,
  staleHostNames,
} from "./hosts.js";
export type { Backoff } from "./reconnect-policy.js";
export { backoffDelay, canResume } from "./reconnect-policy.js";
