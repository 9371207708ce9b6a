import type { Alert } from "@catalyst/schema";

/** How loud an alert is: `critical` wakes someone (failed, dead, needs input), `info` is news. */
export type Severity = Alert["severity"];

/** Kinds that alert only when asked for (`--notify-kinds`). */
export const OPT_IN_KINDS = ["pr-merged", "wave-completed", "orchestrator-finished", "host-stale"] as const;
export type OptInKind = (typeof OPT_IN_KINDS)[number];

/** One message to send (its zod schema and JSON shape are `Alert` of `@catalyst/schema`). */
export type { Alert };

/** An open incident as the app persists it, so a restarted monitor does not send it again. */
export interface PersistedIncident {
  incident: string;
  kind: string;
  orchestrator: string | null;
  worker: string | null;
  host: string | null;
  title: string;
  /** When it was opened (ms since the epoch). */
  openedAt: number;
  /** The condition keys it covers (one per worker, or the host / orchestrator condition). */
  members: string[];
}

/** What changed among the open incidents since the last `takeChanges()`. */
export interface IncidentChanges {
  /** Incidents opened or changed, in their state now. */
  put: PersistedIncident[];
  /** Keys of incidents closed since. */
  removed: string[];
}

/** Counters for metrics and `/healthz`. */
export interface NotifierStats {
  /** Alerts produced (firing and resolved, test alerts excluded). */
  alertsSent: number;
  firing: number;
  resolved: number;
  /** Conditions that cleared inside the hold-down and sent nothing. */
  suppressed: number;
  /** Conditions counted into an incident that was already open (correlation), with no message of their own. */
  correlated: number;
  /** Conditions waiting out the hold-down. */
  pending: number;
  /** Incidents open now. */
  openIncidents: number;
}
