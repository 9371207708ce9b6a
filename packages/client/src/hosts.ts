// The hosts of a monitor that fuses several machines (`catalyst-monitor --nats`): which machine an
// orchestrator runs on, which hosts went stale, and how long a host has been silent. Pure, so the
// dashboard and catalyst-top word a stale host the same way. On a single-host monitor the snapshot
// has no `hosts` and every function here says so (null, empty) rather than inventing a host.
import type { HostView, OrchestratorView, Snapshot } from "@catalyst/schema/constants";

/** The snapshot's hosts (sorted by name, as the monitor sends them), or null on a single-host monitor. */
export function fleetHosts(snapshot: Pick<Snapshot, "hosts"> | null): readonly HostView[] | null {
  return snapshot?.hosts ?? null;
}

/** The machine an orchestrator runs on, or null when the monitor reads one catalyst dir. */
export function hostOf(orchestrator: Pick<OrchestratorView, "host">): string | null {
  return orchestrator.host ?? null;
}

/** Names of the hosts marked stale (no heartbeat past the monitor's threshold). */
export function staleHostNames(snapshot: Pick<Snapshot, "hosts"> | null): ReadonlySet<string> {
  const names = new Set<string>();
  for (const host of snapshot?.hosts ?? []) if (host.stale) names.add(host.name);
  return names;
}

/** Milliseconds since the host's last heartbeat at `nowMs`, or null before its first one. */
export function heartbeatAgeMs(host: Pick<HostView, "lastHeartbeat">, nowMs: number): number | null {
  if (host.lastHeartbeat === null) return null;
  const at = Date.parse(host.lastHeartbeat);
  return Number.isFinite(at) ? Math.max(0, nowMs - at) : null;
}

/** A silence in words: "40 s", "2 min", "3 h", "2 d" (whole units, rounded down). */
export function formatSilence(ms: number): string {
  const s = Math.floor(Math.max(0, ms) / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86_400)} d`;
}

/**
 * The stale badge's words: "stale — no heartbeat for 2 min", or "stale — no heartbeat yet" for a
 * host that never sent one; null for a host that is not stale.
 */
export function describeStaleHost(host: HostView, nowMs: number): string | null {
  if (!host.stale) return null;
  const age = heartbeatAgeMs(host, nowMs);
  return age === null ? "stale — no heartbeat yet" : `stale — no heartbeat for ${formatSilence(age)}`;
}

/**
 * The skipped-lines chip's words: "3 lines skipped" for a host whose publisher could not take some
 * log lines (its skipped-line markers), or null when it skipped none (or the monitor does not say).
 */
export function describeSkippedLines(host: Pick<HostView, "skipped">): string | null {
  const lines = host.skipped?.lines ?? 0;
  return lines > 0 ? `${lines} line${lines === 1 ? "" : "s"} skipped` : null;
}
