// How a running fleet reports its health (what `/healthz` serves): which files are unusable, and
// whether a component is failing. Pure functions of the snapshot and the components' health.
import type { ComponentHealth, CorruptMarker, Snapshot } from "@catalyst/schema";

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
