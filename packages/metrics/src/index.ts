// The one public door of @catalyst/metrics: everything not listed here is internal.
export type { FleetCounts, OrchestratorCounts, TokenKind } from "./fleet-counts.js";
export { boundedCiStatus, boundedWorkerStatus, createFleetCounts, TOKEN_KINDS } from "./fleet-counts.js";
export type { CountsFeed } from "./follow-feed.js";
export { followFleet } from "./follow-feed.js";
export type { MonitorWiring, SseHubCounters } from "./follow-monitor.js";
export { followMonitor } from "./follow-monitor.js";
export type { MonitorMetrics, MonitorMetricsSources, SseFigures } from "./monitor-metrics.js";
export { createMonitorMetrics } from "./monitor-metrics.js";
