import type { MonitorParts } from "@catalyst/engine";
import { createMonitorMetrics, followFleet, type MonitorMetrics } from "@catalyst/metrics";
import type { SseHub } from "@catalyst/sse-server";

/** What the app's wiring knows beyond the parts: the hub, errors it counted, start-up. */
export interface MetricsWiring {
  parts: MonitorParts;
  hub: SseHub;
  /** Source errors the watcher reported to the app (each counted, even when the log line was skipped). */
  sourceReadErrors: () => number;
  startup: () => { loading: boolean; seconds: number | null };
  /** Alerts sent, once the monitor sends alerts (none yet: the metric is then left out). */
  alertsSent?: () => number;
}

/** `/metrics` for the monitor: fleet counts that follow fuse, and the monitor's own figures. */
export function wireMonitorMetrics(wiring: MetricsWiring): { metrics: MonitorMetrics; stop: () => void } {
  const { parts, hub } = wiring;
  const { counts, stop } = followFleet(parts.fuse);
  const watcher = parts.watcher;
  const prPoller = parts.prPoller;
  const metrics = createMonitorMetrics({
    fleet: counts,
    sse: () => {
      const sent = hub.sentCounts();
      return {
        clients: hub.clientCount(),
        framesSent: sent.frames,
        bytesSent: sent.bytes,
        resyncs: hub.resyncCount(),
        dropped: hub.droppedCount(),
      };
    },
    sourceReadErrors: wiring.sourceReadErrors,
    startup: wiring.startup,
    ...(watcher.watched === undefined ? {} : { watched: () => watcher.watched!() }),
    ...(prPoller.stats === undefined
      ? {}
      : { githubRateLimitRemaining: () => prPoller.stats!().rateLimit?.remaining ?? null }),
    ...(wiring.alertsSent === undefined ? {} : { alertsSent: wiring.alertsSent }),
  });
  return { metrics, stop };
}
