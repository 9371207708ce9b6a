// `/metrics` of a running monitor: fleet counts that follow fuse, the SSE hub's figures and the
// monitor's own, from the parts as they are shaped (structural types: no engine or SSE import).
import { type CountsFeed, followFleet } from "./follow-feed.js";
import type { MonitorMetrics } from "./monitor-metrics.js";

/** The SSE hub's counters, as `@catalyst/sse-server`'s hub has them. */
export interface SseHubCounters {
  sentCounts(): { frames: number; bytes: number };
  clientCount(): number;
  resyncCount(): number;
  droppedCount(): number;
}

/** What a monitor knows: its engine's parts (fuse, watcher, PR poller), the hub, errors, start-up. */
export interface MonitorWiring {
  parts: {
    fuse: CountsFeed;
    watcher: { watched?: () => { files: number; directories: number } };
    prPoller: { stats?: () => { rateLimit: { remaining: number | null } | null } };
  };
  hub: SseHubCounters;
  /** Source errors the watcher reported to the app (each counted, even when the log line was skipped). */
  sourceReadErrors: () => number;
  startup: () => { loading: boolean; seconds: number | null };
  /** Alerts sent, once the monitor sends alerts (none yet: the metric is then left out). */
  alertsSent?: () => number;
}

/** `Content-Type` of the exposition text (the Prometheus text format 0.0.4, as prom-client's registry). */
const PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

/**
 * `/metrics` for the monitor: fleet counts that follow fuse from the start, and the monitor's own
 * figures. The registry (and prom-client with it) is built at the first `render()`, so a monitor
 * that is never scraped never loads it; Node's default metrics (GC, event-loop lag) count from then.
 */
export function followMonitor(wiring: MonitorWiring): {
  metrics: Pick<MonitorMetrics, "contentType" | "render">;
  /**
   * Builds the registry now (prom-client loaded, Node's default metrics counting from here)
   * without rendering: the load, the build and a first render were one ~100 ms block when a
   * monitor finished loading 10,000 workers (issue 26). A turn of the event loop between the
   * load and the build.
   */
  prepare: () => Promise<void>;
  stop: () => void;
} {
  const { parts, hub } = wiring;
  const { counts, stop } = followFleet(parts.fuse);
  const watcher = parts.watcher;
  const prPoller = parts.prPoller;
  const build = async (): Promise<MonitorMetrics> => {
    const { createMonitorMetrics } = await import("./monitor-metrics.js");
    await new Promise((resolve) => setImmediate(resolve));
    return createMonitorMetrics({
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
  };
  let built: Promise<MonitorMetrics> | null = null;
  const metrics = {
    contentType: PROMETHEUS_TEXT,
    render: async () => {
      built ??= build();
      return (await built).render();
    },
  };
  const prepare = async (): Promise<void> => {
    built ??= build();
    await built;
  };
  return { metrics, prepare, stop };
}
