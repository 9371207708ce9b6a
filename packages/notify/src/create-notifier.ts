import type { Delta, NeedsYouItem, Snapshot, WorkerView } from "@catalyst/schema";
import { deepLink, groupTitle, listSome, oneLine, severityOf, singleTitle } from "./alert-text.js";
import { createDeadlineHeap } from "./deadline-heap.js";
import { type NotifierOptions, type ResolvedOptions, resolveOptions } from "./options.js";
import type { Alert, IncidentChanges, NotifierStats, OptInKind, PersistedIncident } from "./types.js";

// Conditions come and go with fuse's deltas; an incident is what the operator is told about.
// A condition waits out the hold-down (`pending`), then opens an incident or joins the open one
// of its group (same kind and orchestrator, within the correlation window); an incident closes
// once every condition in it has stayed clear for `clearHoldMs` (`clearing`), so a flapping
// worker stays one incident. Every timer is one entry in a heap: cost follows the change.

/** The rule engine: feed it deltas and time, send what it returns. */
export interface Notifier {
  /** The fleet as it is when alerting starts (after the monitor loaded): conditions already present. */
  seed(snapshot: Snapshot, now: number): Alert[];
  /**
   * The same seed in steps of about `partSize` orchestrators, workers and rows, so the caller can
   * yield between them (8,000 stalled workers in one call held the event loop ~0.5 s on a loaded
   * box, issue 26). A worker with no PR counts only when an earlier run's CI incident was restored
   * (it may clear it); otherwise it is passed by, so the seed's work follows its rows and PRs.
   * Each step returns nothing but the last, which returns what `seed` would. Apply no delta before
   * the last step: hold them and apply them, in order, after it.
   */
  seedInParts(snapshot: Snapshot, now: number, partSize: number): Iterator<Alert[], void>;
  /** Fuse's deltas as they are published. Returns the alerts due now (one-shot events, hold 0). */
  apply(deltas: readonly Delta[], now: number): Alert[];
  /**
   * Alerts whose hold-down or clear hold ended by `now`, handling at most `duePerTick` of those
   * timers: while more are due, `nextDeadline()` stays at or before `now`, so call again (after
   * other work; the event loop is never held for the whole fleet).
   */
  tick(now: number): Alert[];
  /** When `tick` next has something to do (ms since the epoch), or null. */
  nextDeadline(): number | null;
  /** Open incidents, for the app to persist (a restarted monitor must not send them again). */
  openIncidents(): PersistedIncident[];
  /** Grows whenever the set of open incidents or their members changed: persist when it moved. */
  version(): number;
  /**
   * The incidents opened, changed or closed since the last call (or since `restore`), each once in
   * its state now, and forgets them: what a store appends, so a write costs what changed, not every
   * open incident (issue 26). `openIncidents()` taken in the same turn includes all of them.
   */
  takeChanges(): IncidentChanges;
  /** Incidents persisted by an earlier run; call before `seed`. Members not seen again close quietly. */
  restore(incidents: readonly PersistedIncident[], now: number): void;
  stats(): NotifierStats;
}

interface Raise {
  key: string;
  kind: string;
  orchestrator: string | null;
  worker: string | null;
  host: string | null;
  detail: string;
}

interface Condition extends Raise {
  state: "pending" | "open" | "clearing";
  raisedAt: number;
  /** Bumped on every state change: a heap entry with an older token is stale. */
  token: number;
  group: Group;
  incident: Incident | null;
}

interface Incident {
  key: string;
  kind: string;
  orchestrator: string | null;
  worker: string | null;
  host: string | null;
  title: string;
  openedAt: number;
  members: Set<string>;
  /** Every condition ever counted in it. */
  total: number;
  group: Group;
}

interface Group {
  key: string;
  pending: Set<Condition>;
  incident: Incident | null;
}

const FINISHED_ORCHESTRATOR = new Set(["completed", "failed", "abandoned"]);

/** The incident key of a needs-you row: stable while the row is. */
export function needsYouIncidentKey(
  row: Pick<NeedsYouItem, "orchestrator" | "worker" | "reason" | "message">,
): string {
  const base = `${row.reason}|${row.orchestrator}|${row.worker ?? "-"}`;
  return row.reason === "attention" ? `${base}|${row.message}` : base;
}

function ciKey(orchestrator: string, worker: string): string {
  return `ci-failing|${orchestrator}|${worker}`;
}

function hostKey(host: string): string {
  return `host-stale|${host}`;
}

function isCiFailing(w: WorkerView): boolean {
  const pr = w.pr;
  if (pr === null || pr.state === "merged" || pr.state === "closed") return false;
  return pr.ciStatus.split(",").some((part) => part.trim() === "failing");
}

function persisted(inc: Incident): PersistedIncident {
  return {
    incident: inc.key,
    kind: inc.kind,
    orchestrator: inc.orchestrator,
    worker: inc.worker,
    host: inc.host,
    title: inc.title,
    openedAt: inc.openedAt,
    members: [...inc.members],
  };
}

/** Creates the rule engine; throws `NotifyOptionsError` for options out of range. */
export function createNotifier(options: NotifierOptions = {}): Notifier {
  const opts: ResolvedOptions = resolveOptions(options);
  const conditions = new Map<string, Condition>();
  const incidents = new Map<string, Incident>();
  const groups = new Map<string, Group>();
  const heap = createDeadlineHeap<Condition>();
  const hostOf = new Map<string, string>();
  const seenEvents = new Set<string>();
  let version = 0;
  /** Keys of the incidents changed since the last `takeChanges` (open or closed now). */
  const changed = new Set<string>();
  const counts = { alertsSent: 0, firing: 0, resolved: 0, suppressed: 0, correlated: 0 };

  // Workers of one host (a central monitor knows it) or else of one orchestrator, per kind.
  const groupKeyOf = (r: Raise) =>
    r.worker === null
      ? r.key
      : r.host !== null
        ? `${r.kind}\u0000host\u0000${r.host}`
        : r.orchestrator !== null
          ? `${r.kind}\u0000${r.orchestrator}`
          : r.key;

  function groupFor(key: string): Group {
    let g = groups.get(key);
    if (g === undefined) {
      g = { key, pending: new Set(), incident: null };
      groups.set(key, g);
    }
    return g;
  }

  function dropGroupIfIdle(g: Group): void {
    if (g.pending.size === 0 && g.incident === null) groups.delete(g.key);
  }

  function raise(r: Raise, now: number): void {
    const c = conditions.get(r.key);
    if (c !== undefined) {
      c.detail = r.detail;
      c.worker = r.worker;
      c.host = r.host;
      if (c.state === "clearing") {
        // Back before the clear hold ended: the incident stays open, nothing is sent.
        c.state = "open";
        c.token += 1;
      }
      return;
    }
    const group = groupFor(groupKeyOf(r));
    const fresh: Condition = { ...r, state: "pending", raisedAt: now, token: 1, group, incident: null };
    conditions.set(r.key, fresh);
    group.pending.add(fresh);
    heap.push(now + opts.holdMs, fresh, fresh.token);
  }

  function clear(key: string, now: number): void {
    const c = conditions.get(key);
    if (c === undefined) return;
    c.token += 1;
    if (c.state === "pending") {
      // Cleared inside the hold-down: a blip, nothing is sent.
      conditions.delete(key);
      c.group.pending.delete(c);
      dropGroupIfIdle(c.group);
      counts.suppressed += 1;
    } else if (c.state === "open") {
      c.state = "clearing";
      heap.push(now + opts.clearHoldMs, c, c.token);
    }
  }

  function alertOf(inc: Incident, state: Alert["state"], now: number, message: string): Alert {
    return {
      kind: inc.kind,
      state,
      severity: state === "resolved" ? "info" : severityOf(inc.kind),
      incident: inc.key,
      title: state === "resolved" ? `Resolved: ${inc.title}` : inc.title,
      message,
      orchestrator: inc.orchestrator,
      worker: inc.worker,
      host: inc.host,
      url: deepLink(opts.dashboardUrl, inc.orchestrator, inc.worker),
      at: new Date(now).toISOString(),
      count: inc.total,
    };
  }

  function fire(c: Condition, now: number, out: Alert[]): void {
    const g = c.group;
    const open = g.incident;
    if (open !== null && incidents.get(open.key) === open && now - open.openedAt <= opts.correlateMs) {
      // Correlation: one more worker of an orchestrator that is already failing, counted, not sent.
      g.pending.delete(c);
      c.state = "open";
      c.incident = open;
      open.members.add(c.key);
      open.total += 1;
      counts.correlated += 1;
      version += 1;
      changed.add(open.key);
      return;
    }
    // Every condition of the group still pending joins this incident: they failed together.
    const members = [...g.pending];
    g.pending.clear();
    const single = members.length === 1;
    const subject = c.worker ?? c.orchestrator ?? c.host ?? "?";
    // A host's group may span orchestrators: then it names the host and links to no orchestrator.
    const orchestrator = members.every((m) => m.orchestrator === c.orchestrator) ? c.orchestrator : null;
    const groupOf = orchestrator ?? `host ${c.host ?? "?"}`;
    const inc: Incident = {
      key: single
        ? c.key
        : `${c.kind}|${orchestrator ?? `host:${c.host ?? "-"}`}|group@${new Date(now).toISOString()}`,
      kind: c.kind,
      orchestrator,
      worker: single ? c.worker : null,
      host: c.host,
      title: single
        ? `${singleTitle(c.kind, subject)}${c.worker !== null && c.orchestrator !== null ? ` · ${c.orchestrator}` : ""}`
        : groupTitle(c.kind, members.length, groupOf),
      openedAt: now,
      members: new Set(),
      total: members.length,
      group: g,
    };
    for (const m of members) {
      m.state = "open";
      m.token += 1;
      m.incident = inc;
      inc.members.add(m.key);
    }
    incidents.set(inc.key, inc);
    g.incident = inc;
    version += 1;
    changed.add(inc.key);
    const message = single
      ? oneLine(c.detail)
      : oneLine(`${listSome(members.map((m) => m.worker ?? m.key).sort())}: ${c.detail}`);
    out.push(alertOf(inc, "firing", now, message));
    counts.firing += 1;
    counts.alertsSent += 1;
  }

  function close(c: Condition, now: number, out: Alert[]): void {
    conditions.delete(c.key);
    const inc = c.incident;
    if (inc === null) return;
    inc.members.delete(c.key);
    version += 1;
    changed.add(inc.key);
    if (inc.members.size > 0) return;
    incidents.delete(inc.key);
    if (inc.group.incident === inc) inc.group.incident = null;
    dropGroupIfIdle(inc.group);
    if (!opts.resolved) return;
    const opened = new Date(inc.openedAt).toISOString();
    out.push(alertOf(inc, "resolved", now, oneLine(`${inc.title}: clear again (open since ${opened})`)));
    counts.resolved += 1;
    counts.alertsSent += 1;
  }

  // At most `duePerTick` due timers (stale ones included: each is a heap pop); the rest stay
  // due for the next call.
  function tick(now: number): Alert[] {
    const out: Alert[] = [];
    for (let handled = 0; handled < opts.duePerTick; handled++) {
      const top = heap.peek();
      if (top === undefined || top.at > now) break;
      heap.pop();
      const c = top.item;
      if (conditions.get(c.key) !== c || c.token !== top.token) continue;
      if (c.state === "pending") fire(c, now, out);
      else if (c.state === "clearing") close(c, now, out);
    }
    return out;
  }

  function event(
    kind: OptInKind,
    key: string,
    subject: { orchestrator: string | null; worker: string | null },
    title: string,
    message: string,
    now: number,
    out: Alert[] | null,
  ): void {
    if (seenEvents.has(key)) return;
    seenEvents.add(key);
    if (seenEvents.size > opts.seenEventsLimit) {
      const oldest = seenEvents.values().next().value;
      if (oldest !== undefined) seenEvents.delete(oldest);
    }
    if (out === null || !opts.kinds.has(kind)) return;
    const host = subject.orchestrator === null ? null : (hostOf.get(subject.orchestrator) ?? null);
    out.push({
      kind,
      state: "firing",
      severity: severityOf(kind),
      incident: key,
      title,
      message: oneLine(message),
      orchestrator: subject.orchestrator,
      worker: subject.worker,
      host,
      url: deepLink(opts.dashboardUrl, subject.orchestrator, subject.worker),
      at: new Date(now).toISOString(),
      count: 1,
    });
    counts.firing += 1;
    counts.alertsSent += 1;
  }

  // The seed as steps of about `partSize` workers and rows each; the last step gives the alerts.
  // A worker with no PR can only clear a CI condition, and there is none to clear unless an earlier
  // run's incidents brought one back (restore): otherwise such workers are passed by, so the seed's
  // work follows its rows and PRs, not the fleet (issue 26: 10,000 stalled workers, no PR).
  function* seedParts(snapshot: Snapshot, now: number, partSize: number): Generator<Alert[], void> {
    let ciConditions = false;
    for (const c of conditions.values())
      if (c.kind === "ci-failing") {
        ciConditions = true;
        break;
      }
    let done = 0;
    for (const o of snapshot.orchestrators) {
      orchestratorState(o.id, o.host, o.status, now, null);
      done += 1;
      for (const key in o.workers) {
        const w = o.workers[key]!;
        if (w.pr === null && !ciConditions) continue;
        worker(w, now, null);
        done += 1;
      }
      for (const wave of o.waves)
        if (wave.completedAt !== null) seenEvents.add(`wave-completed|${o.id}|${wave.wave}`);
      if (done >= partSize) {
        done = 0;
        yield [];
      }
    }
    for (const row of snapshot.needsYou) {
      raiseRow(row, now);
      if (++done >= partSize) {
        done = 0;
        yield [];
      }
    }
    if (snapshot.hosts !== undefined) hosts(snapshot.hosts, now);
    yield tick(now);
  }

  function raiseRow(row: NeedsYouItem, now: number): void {
    raise(
      {
        key: needsYouIncidentKey(row),
        kind: row.reason,
        orchestrator: row.orchestrator,
        worker: row.worker,
        host: hostOf.get(row.orchestrator) ?? null,
        detail: row.message,
      },
      now,
    );
  }

  /** A worker's PR: CI failing is a condition; a merge is a one-shot event (`out` null: remember only). */
  function worker(w: WorkerView, now: number, out: Alert[] | null): void {
    const key = ciKey(w.orchestrator, w.ticket);
    if (isCiFailing(w)) {
      const pr = w.pr!;
      raise(
        {
          key,
          kind: "ci-failing",
          orchestrator: w.orchestrator,
          worker: w.ticket,
          host: hostOf.get(w.orchestrator) ?? null,
          detail: `PR #${pr.number}${pr.title ? ` ${pr.title}` : ""}: CI ${pr.ciStatus}${pr.url ? ` (${pr.url})` : ""}`,
        },
        now,
      );
    } else clear(key, now);
    if (w.pr !== null && w.pr.state === "merged")
      event(
        "pr-merged",
        `pr-merged|${w.orchestrator}|${w.ticket}|${w.pr.number}`,
        { orchestrator: w.orchestrator, worker: w.ticket },
        `${w.ticket} merged PR #${w.pr.number} · ${w.orchestrator}`,
        `${w.pr.title ?? w.title ?? w.ticket}${w.pr.url ? ` (${w.pr.url})` : ""}`,
        now,
        out,
      );
  }

  function orchestratorState(
    id: string,
    host: string | undefined,
    status: string | null,
    now: number,
    out: Alert[] | null,
  ) {
    if (host !== undefined) hostOf.set(id, host);
    if (status !== null && FINISHED_ORCHESTRATOR.has(status))
      event(
        "orchestrator-finished",
        `orchestrator-finished|${id}|${status}`,
        { orchestrator: id, worker: null },
        `${id} ${status === "completed" ? "finished" : status}`,
        `orchestrator ${id}: ${status}`,
        now,
        out,
      );
  }

  function hosts(
    list: ReadonlyArray<{ name: string; stale: boolean; lastHeartbeat: string | null }>,
    now: number,
  ) {
    if (!opts.kinds.has("host-stale")) return;
    for (const h of list) {
      if (h.stale)
        raise(
          {
            key: hostKey(h.name),
            kind: "host-stale",
            orchestrator: null,
            worker: null,
            host: h.name,
            detail: `no heartbeat from ${h.name} since ${h.lastHeartbeat ?? "it appeared"}; its workers keep their last state`,
          },
          now,
        );
      else clear(hostKey(h.name), now);
    }
  }

  return {
    seed(snapshot, now) {
      const parts = seedParts(snapshot, now, Number.POSITIVE_INFINITY);
      let out: Alert[] = [];
      for (let next = parts.next(); !next.done; next = parts.next()) out = next.value;
      return out;
    },
    seedInParts: (snapshot, now, partSize) => seedParts(snapshot, now, Math.max(1, partSize)),
    apply(deltas, now) {
      const out: Alert[] = [];
      for (const d of deltas) {
        switch (d.event) {
          case "needs-you":
            for (const row of d.data.added) raiseRow(row, now);
            for (const row of d.data.changed) raiseRow(row, now);
            for (const row of d.data.removed) clear(needsYouIncidentKey(row), now);
            break;
          case "worker-update":
          case "pr-update":
          case "liveness-change":
            worker(d.data.workerState, now, out);
            break;
          case "worker-removed":
            clear(ciKey(d.data.orchestrator, d.data.worker), now);
            break;
          case "orchestrator-update": {
            const s = d.data.orchestratorState;
            orchestratorState(s.id, s.host, s.status, now, out);
            break;
          }
          case "orchestrator-removed":
            hostOf.delete(d.data.orchestrator);
            break;
          case "wave-completed":
            event(
              "wave-completed",
              `wave-completed|${d.data.orchestrator}|${d.data.wave}`,
              { orchestrator: d.data.orchestrator, worker: null },
              `wave ${d.data.wave} of ${d.data.orchestrator} completed`,
              `${d.data.tickets.length} tickets: ${listSome(d.data.tickets)}`,
              now,
              out,
            );
            break;
          case "hosts":
            hosts(d.data.hosts, now);
            break;
          default:
            break;
        }
      }
      out.push(...tick(now));
      return out;
    },
    tick,
    nextDeadline() {
      for (;;) {
        const top = heap.peek();
        if (top === undefined) return null;
        const c = top.item;
        if (conditions.get(c.key) === c && c.token === top.token) return top.at;
        heap.pop();
      }
    },
    openIncidents() {
      return [...incidents.values()].map(persisted);
    },
    version: () => version,
    takeChanges() {
      const put: PersistedIncident[] = [];
      const removed: string[] = [];
      for (const key of changed) {
        const inc = incidents.get(key);
        if (inc === undefined) removed.push(key);
        else put.push(persisted(inc));
      }
      changed.clear();
      return { put, removed };
    },
    restore(list, now) {
      for (const p of list) {
        if (incidents.has(p.incident) || p.members.length === 0) continue;
        const perWorker = p.worker !== null || p.members.length > 1;
        const groupKey = !perWorker
          ? (p.members[0] ?? p.incident)
          : p.host !== null
            ? `${p.kind}\u0000host\u0000${p.host}`
            : p.orchestrator !== null
              ? `${p.kind}\u0000${p.orchestrator}`
              : (p.members[0] ?? p.incident);
        const group = groupFor(groupKey);
        const inc: Incident = {
          key: p.incident,
          kind: p.kind,
          orchestrator: p.orchestrator,
          worker: p.worker,
          host: p.host,
          title: p.title,
          openedAt: p.openedAt,
          members: new Set(),
          total: p.members.length,
          group,
        };
        incidents.set(inc.key, inc);
        if (group.incident === null || group.incident.openedAt < inc.openedAt) group.incident = inc;
        for (const key of p.members) {
          if (conditions.has(key)) continue;
          // Clearing until the fleet shows it again (seed): then it is open, and nothing is sent.
          const c: Condition = {
            key,
            kind: p.kind,
            orchestrator: p.orchestrator,
            worker: p.worker,
            host: p.host,
            detail: p.title,
            state: "clearing",
            raisedAt: p.openedAt,
            token: 1,
            group,
            incident: inc,
          };
          conditions.set(key, c);
          inc.members.add(key);
          heap.push(now + opts.clearHoldMs, c, c.token);
        }
      }
      version += 1;
      // What was restored is what the store holds: nothing to write back.
      changed.clear();
    },
    stats() {
      let pending = 0;
      for (const g of groups.values()) pending += g.pending.size;
      return { ...counts, pending, openIncidents: incidents.size };
    },
  };
}

/** The alert `catalyst-monitor notify test` sends through every channel. */
export function createTestAlert(now: number, dashboardUrl: string | null = null): Alert {
  return {
    kind: "test",
    state: "firing",
    severity: "info",
    incident: `test|${new Date(now).toISOString()}`,
    title: "Catalyst alerts work",
    message: "A test alert from catalyst-monitor notify test: this channel is set up.",
    orchestrator: null,
    worker: null,
    host: null,
    url: deepLink(dashboardUrl, null, null),
    at: new Date(now).toISOString(),
    count: 1,
  };
}
