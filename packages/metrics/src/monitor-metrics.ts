import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import type { FleetCounts } from "./fleet-counts.js";
import { createFleetText } from "./fleet-text.js";

/** The SSE hub's figures (`@catalyst/sse-server`'s hub has every one). */
export interface SseFigures {
  clients: number;
  framesSent: number;
  bytesSent: number;
  resyncs: number;
  dropped: number;
}

/**
 * Where the monitor's own figures come from; each is read at scrape time. A source left out is a
 * metric left out (a central monitor watches no files, a monitor without alerts sends none).
 */
export interface MonitorMetricsSources {
  fleet: FleetCounts;
  sse?: () => SseFigures;
  /** File-system errors the watcher recovered from, since start. */
  sourceReadErrors?: () => number;
  /** Files the watcher tracks and directories it holds a watch on (a central monitor has none). */
  watched?: () => { files: number; directories: number };
  /** Start-up: still loading, and how long loading took (null until it is done). */
  startup?: () => { loading: boolean; seconds: number | null };
  /** GitHub's rate-limit points left at the last answer; null before one. */
  githubRateLimitRemaining?: () => number | null;
  /** Alerts sent since start (when the monitor sends alerts). */
  alertsSent?: () => number;
  /** The clock, for the age of each host's last heartbeat. @default Date.now */
  now?: () => number;
  /** Node's default process metrics (`process_*`, `nodejs_*`, event-loop lag). @default true */
  defaultMetrics?: boolean;
}

/** The monitor's metrics on their own registry (never prom-client's global one). */
export interface MonitorMetrics {
  registry: Registry;
  /** `Content-Type` of `render()`'s text (the Prometheus text format 0.0.4). */
  contentType: string;
  /**
   * The exposition text: O(orchestrators) (the per-orchestrator lines are cached until that
   * orchestrator's counts move), no worker visited. The fleet families are not in `registry`.
   */
  render(): Promise<string>;
}

/** Builds the registry; nothing runs until a scrape (the default metrics sample the event loop). */
export function createMonitorMetrics(sources: MonitorMetricsSources): MonitorMetrics {
  const registry = new Registry();
  const registers = [registry];
  const fleet = sources.fleet;
  const now = sources.now ?? Date.now;

  new Gauge({
    name: "catalyst_orchestrators",
    help: "Orchestrators by status, project and host.",
    labelNames: ["status", "project", "host"] as const,
    registers,
    collect() {
      this.reset();
      for (const o of fleet.orchestrators()) this.inc({ status: o.status, project: o.project, host: o.host });
    },
  });
  new Gauge({
    name: "catalyst_corrupt_files",
    help: "Signal and state files that cannot be read right now (the last good state is kept).",
    registers,
    collect() {
      let n = 0;
      for (const o of fleet.orchestrators()) n += o.corrupt;
      this.set(n);
    },
  });
  new Gauge({
    name: "catalyst_source_errors",
    help: "Unreadable files that belong to no single worker (global state.json, event-log files).",
    registers,
    collect() {
      this.set(fleet.sourceErrors());
    },
  });
  new Gauge({
    name: "catalyst_hosts",
    help: "Publishing hosts seen (central monitor only).",
    registers,
    collect() {
      this.set(fleet.hosts()?.total ?? 0);
    },
  });
  new Gauge({
    name: "catalyst_hosts_stale",
    help: "Hosts silent for longer than the stale threshold (central monitor only).",
    registers,
    collect() {
      this.set(fleet.hosts()?.stale ?? 0);
    },
  });
  new Gauge({
    name: "catalyst_relay_lag_seconds",
    help: "Age of each host's last heartbeat as the broker stamped it (central monitor only).",
    labelNames: ["host"] as const,
    registers,
    collect() {
      this.reset();
      const at = now();
      for (const h of fleet.hosts()?.list ?? []) {
        if (h.lastHeartbeat === null) continue;
        this.set({ host: h.name }, Math.max(0, (at - Date.parse(h.lastHeartbeat)) / 1000));
      }
    },
  });
  new Gauge({
    name: "catalyst_host_skipped_lines",
    help: "Log lines each host's publisher could not take, this run (central monitor only).",
    labelNames: ["host"] as const,
    registers,
    collect() {
      this.reset();
      for (const h of fleet.hosts()?.list ?? []) this.set({ host: h.name }, h.skipped);
    },
  });

  const sse = sources.sse;
  if (sse !== undefined) {
    new Gauge({
      name: "catalyst_sse_clients",
      help: "SSE clients connected.",
      registers,
      collect() {
        this.set(sse().clients);
      },
    });
    counterFrom(
      registers,
      "catalyst_sse_frames_sent_total",
      "SSE frames queued to clients.",
      () => sse().framesSent,
    );
    counterFrom(
      registers,
      "catalyst_sse_sent_bytes_total",
      "Bytes of SSE frames queued to clients.",
      () => sse().bytesSent,
    );
    counterFrom(
      registers,
      "catalyst_sse_resyncs_total",
      "Times a client that fell behind had its backlog replaced by a fresh snapshot.",
      () => sse().resyncs,
    );
    counterFrom(
      registers,
      "catalyst_sse_dropped_clients_total",
      "Clients dropped for taking nothing while their queue was full.",
      () => sse().dropped,
    );
  }
  const readErrors = sources.sourceReadErrors;
  if (readErrors !== undefined)
    counterFrom(
      registers,
      "catalyst_source_read_errors_total",
      "File-system errors reading the catalyst dir the watcher recovered from (EMFILE, EACCES, ...).",
      readErrors,
    );
  const watched = sources.watched;
  if (watched !== undefined) {
    new Gauge({
      name: "catalyst_files_watched",
      help: "Files of the catalyst dir the monitor tracks (signal files, state files, briefings).",
      registers,
      collect() {
        this.set(watched().files);
      },
    });
    new Gauge({
      name: "catalyst_directories_watched",
      help: "Directories of the catalyst dir the monitor holds a watch on.",
      registers,
      collect() {
        this.set(watched().directories);
      },
    });
  }
  const startup = sources.startup;
  if (startup !== undefined) {
    new Gauge({
      name: "catalyst_loading",
      help: "1 while the monitor is still reading its sources at start-up, then 0.",
      registers,
      collect() {
        this.set(startup().loading ? 1 : 0);
      },
    });
    new Gauge({
      name: "catalyst_startup_seconds",
      help: "How long start-up loading took (the scan and the event-log history); absent until done.",
      registers,
      collect() {
        this.reset();
        const seconds = startup().seconds;
        if (seconds !== null) this.set(seconds);
      },
    });
  }
  const rate = sources.githubRateLimitRemaining;
  if (rate !== undefined)
    new Gauge({
      name: "catalyst_github_rate_limit_remaining",
      help: "GitHub GraphQL rate-limit points left at the PR poller's last answer (absent before one).",
      registers,
      collect() {
        this.reset();
        const left = rate();
        if (left !== null) this.set(left);
      },
    });
  const alerts = sources.alertsSent;
  if (alerts !== undefined)
    counterFrom(registers, "catalyst_alerts_sent_total", "Alerts the monitor sent.", alerts);

  if (sources.defaultMetrics !== false) {
    collectDefaultMetrics({ register: registry });
    // prom-client names these gauges `_total`, which `promtool check metrics` refuses (only
    // counters may end so); each is the sum of its by-type sibling (`nodejs_active_handles{type}`…).
    for (const name of NON_COUNTER_TOTALS) registry.removeSingleMetric(name);
  }

  // The per-orchestrator families (workers, needs-you, PRs, cost, tokens) are the bulk of a large
  // fleet's text: written from cached per-orchestrator strings, before the registry's own.
  const fleetText = createFleetText(fleet);
  return {
    registry,
    contentType: registry.contentType,
    render: async () => fleetText.render() + (await registry.metrics()),
  };
}

const NON_COUNTER_TOTALS = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
];

/** A counter whose value is a running total kept elsewhere, read at scrape time. */
function counterFrom(registers: Registry[], name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers,
    collect() {
      this.reset();
      const value = read();
      if (Number.isFinite(value) && value > 0) this.inc(value);
    },
  });
}
