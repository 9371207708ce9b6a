// How a running fleet reports its health (what `/healthz` serves): which files are unusable,
// whether a component is failing, and the whole report.
import type {
  ComponentHealth,
  CorruptMarker,
  HealthResponse,
  HostView,
  LoadingState,
  Snapshot,
} from "@catalyst/schema";
import type { EventLoopDelay } from "./event-loop-delay.js";

/** The health of a component that is not there (a poller not configured). */
export const UNCONFIGURED_HEALTH: ComponentHealth = {
  enabled: false,
  reason: "not configured",
  lastSuccessAt: null,
  lastErrorAt: null,
  lastError: null,
  nextRunAt: null,
};

/** True when the component's last error is newer than its last success (or it never succeeded). */
export function isComponentFailing(health: ComponentHealth): boolean {
  if (health.lastErrorAt === null) return false;
  return health.lastSuccessAt === null || Date.parse(health.lastErrorAt) > Date.parse(health.lastSuccessAt);
}

/** How many degraded files `degradedSources` lists at most. */
export const MAX_DEGRADED_SOURCES = 100;

/** Every file the snapshot marks as unusable: global/log problems, local states, signal files. */
export function degradedSources(snapshot: Snapshot): CorruptMarker[] {
  const out: CorruptMarker[] = [...snapshot.sourceErrors];
  for (const o of snapshot.orchestrators) {
    if (out.length >= MAX_DEGRADED_SOURCES) break;
    if (o.corrupt) out.push(o.corrupt);
    for (const w of Object.values(o.workers)) if (w.corrupt) out.push(w.corrupt);
  }
  return out.slice(0, MAX_DEGRADED_SOURCES);
}

/** What a health report is made of; absent components read as not configured. */
export interface HealthInputs {
  version: string;
  startedAt: Date;
  catalystDir: string;
  sources?: ComponentHealth;
  github?: ComponentHealth;
  liveness?: ComponentHealth;
  /** What start-up is still doing, or null once loaded. */
  loading: LoadingState | null;
  /** The full snapshot; not asked for while loading. */
  snapshot: () => Snapshot;
  lastEventId: number;
  clients: { count: number; queueDepths: number[] };
  eventLoopDelay?: EventLoopDelay;
  /** A fleet of several hosts: the broker connection and the hosts. */
  central?: { nats: NonNullable<HealthResponse["nats"]>; hosts: HostView[] };
}

/**
 * The health report (`/healthz`): degraded while the sources fail, a file is unusable or the
 * broker is away.
 */
export function healthReport(input: HealthInputs): HealthResponse {
  const sources = input.sources ?? UNCONFIGURED_HEALTH;
  // While loading, the fleet is still being read: listing its bad files would mean building a
  // full snapshot per request, which is what loading must not wait for.
  const degraded = input.loading ? [] : degradedSources(input.snapshot());
  const body: HealthResponse = {
    status: isComponentFailing(sources) || degraded.length > 0 ? "degraded" : "ok",
    version: input.version,
    uptimeSec: Math.round((Date.now() - input.startedAt.getTime()) / 1000),
    rssBytes: process.memoryUsage.rss(),
    catalystDir: input.catalystDir,
    sources,
    pollers: { github: input.github ?? UNCONFIGURED_HEALTH, liveness: input.liveness ?? UNCONFIGURED_HEALTH },
    clients: input.clients,
    lastEventId: input.lastEventId,
    degradedSources: degraded,
    loading: input.loading,
  };
  if (input.eventLoopDelay) body.eventLoopDelayMs = input.eventLoopDelay;
  if (input.central) {
    body.nats = input.central.nats;
    body.hosts = input.central.hosts;
    if (!body.nats.connected) body.status = "degraded";
  }
  return body;
}
