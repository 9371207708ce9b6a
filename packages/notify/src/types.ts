/** How loud an alert is: `critical` wakes someone (failed, dead, needs input), `info` is news. */
export type Severity = "critical" | "warning" | "info";

/** Kinds that alert only when asked for (`--notify-kinds`). */
export const OPT_IN_KINDS = ["pr-merged", "wave-completed", "orchestrator-finished", "host-stale"] as const;
export type OptInKind = (typeof OPT_IN_KINDS)[number];

/**
 * One message to send. `kind` is a needs-you reason (`attention`, `failed`, `dead`, `stalled`,
 * `corrupt`, or a newer reason such as `needs-input`, kept verbatim), `ci-failing`, one of the
 * opt-in kinds, or `test`. The webhook body is this object as JSON.
 */
export interface Alert {
  kind: string;
  /** `firing` when the incident opens (or for a one-shot event), `resolved` when it closes. */
  state: "firing" | "resolved";
  severity: Severity;
  /** Stable across the incident's life (and across monitor restarts): the same key for firing and resolved. */
  incident: string;
  title: string;
  /** One line, at most 300 characters. */
  message: string;
  orchestrator: string | null;
  /** The worker, or null for an orchestrator-level alert or one that counts several workers. */
  worker: string | null;
  host: string | null;
  /** Deep link into the dashboard (`?orch=&worker=`), or null when no dashboard URL was given. */
  url: string | null;
  /** When the alert was made (ISO 8601). */
  at: string;
  /** How many conditions (workers) the incident counts when it is sent; 1 for a single worker. */
  count: number;
}

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
