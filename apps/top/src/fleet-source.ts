// Where the fleet comes from: a monitor over SSE (--url), or an engine in-process (--dir, --demo).
// Either way the view reads one fleet store and asks for a worker's recent events.
import { createFleetStore, type FleetStore, followFleet } from "@catalyst/client";
import { createEngine, type Engine } from "@catalyst/engine";
import { createDemoFleet, type DemoFleet } from "@catalyst/fleet-sim";
import type { Delta } from "@catalyst/schema/constants";
import { EventSource } from "eventsource";

/** The connection line of the header. */
export type SourceState =
  | { state: "connecting" }
  | { state: "live"; resumed: boolean }
  | { state: "reconnecting"; attempt: number; reason: string; retryAt: number }
  | { state: "embedded"; loading: boolean }
  /** `--at`: one past moment from the event log, never updated. */
  | { state: "historical"; at: string };

/** One line of a worker's history. */
export interface EventLineView {
  ts: string;
  event: string;
  detail: string;
}

export interface FleetSource {
  readonly store: FleetStore;
  /** `url`, `dir` or `demo`, and what it points at, for the header. */
  readonly label: string;
  state(): SourceState;
  onState(listener: () => void): () => void;
  start(): Promise<void>;
  /** Resolves once the fleet is complete: the engine's history is in (remote: the first snapshot). */
  loaded(): Promise<void>;
  stop(): Promise<void>;
  /**
   * The monitor's alert bell (`/api/alerts`, polled every 5 s): incidents open and the newest
   * alert's title; null in-process or before the first answer (or from a monitor without it).
   */
  alerts(): { open: number; latest: string | null } | null;
  /** The worker's last `limit` events from the event log, oldest first. */
  recentEvents(orchestrator: string, worker: string, limit?: number): Promise<EventLineView[]>;
}

const RECENT_DEFAULT = 50;
const HISTORY_MS = 7 * 24 * 60 * 60 * 1000;

function plain(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

// Any envelope shape (FORMATS-TODAY R1.7): a canonical line's payload is `body.payload`, a v1 line's
// `detail`, a bare v3 line's its other top-level keys.
function detailOf(line: Record<string, unknown>): string {
  const payload = plain(line.attributes) ? plain(line.body)?.payload : undefined;
  if (payload !== null && payload !== undefined) return JSON.stringify(payload).slice(0, 300);
  const { ts: _ts, event: _e, name: _n, orchestrator: _o, worker: _w, ...rest } = line;
  if (rest.detail !== null && rest.detail !== undefined) return JSON.stringify(rest.detail).slice(0, 300);
  const kept = Object.fromEntries(
    Object.entries(rest).filter(
      ([k, v]) =>
        v !== null &&
        v !== undefined &&
        ![
          "detail",
          "id",
          "observedTs",
          "severityText",
          "severityNumber",
          "resource",
          "attributes",
          "body",
        ].includes(k),
    ),
  );
  const text = JSON.stringify(kept);
  return text === "{}" ? "" : text.slice(0, 300);
}

function nonEmpty(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

/** Turns a raw log line of any shape into the detail view's row (the name as R1.8 resolves it). */
export function eventLineView(line: Record<string, unknown>): EventLineView {
  const name =
    nonEmpty(line.event) ?? nonEmpty(plain(line.attributes)?.["event.name"]) ?? nonEmpty(line.name) ?? "?";
  return { ts: String(line.ts ?? ""), event: name, detail: detailOf(line) };
}

/** Follows a running monitor; resumes after a drop (the client's policy). */
export function remoteSource(options: {
  url: string;
  token: string | null;
  fetch?: typeof globalThis.fetch;
}): FleetSource {
  const listeners = new Set<() => void>();
  let state: SourceState = { state: "connecting" };
  const base = options.url.replace(/\/+$/, "");
  const doFetch = options.fetch ?? globalThis.fetch;
  const follower = followFleet({
    baseUrl: base,
    token: options.token,
    EventSource,
    fetch: doFetch,
    onStatus: (s) => {
      state =
        s.state === "live"
          ? { state: "live", resumed: s.resumed }
          : s.state === "reconnecting"
            ? { state: "reconnecting", attempt: s.attempt, reason: s.reason, retryAt: s.retryAt }
            : { state: "connecting" };
      for (const l of [...listeners]) l();
    },
  });
  let alerts: { open: number; latest: string | null } | null = null;
  let alertTimer: ReturnType<typeof setInterval> | null = null;
  let lastSeq = 0;
  const pollAlerts = async (): Promise<void> => {
    try {
      const q = new URLSearchParams({ after: String(lastSeq) });
      if (options.token !== null) q.set("token", options.token);
      const res = await doFetch(`${base}/api/alerts?${q}`);
      if (!res.ok) return;
      const body = (await res.json()) as { alerts: Array<{ title: string }>; lastSeq: number; open: number };
      // A restarted monitor counts from 1 again.
      if (body.lastSeq < lastSeq) lastSeq = 0;
      else lastSeq = body.lastSeq;
      const latest = body.alerts.at(-1)?.title ?? alerts?.latest ?? null;
      if (alerts?.open !== body.open || alerts?.latest !== latest) {
        alerts = { open: body.open, latest };
        for (const l of [...listeners]) l();
      }
    } catch {
      // The SSE connection line already says when the monitor is away.
    }
  };
  return {
    store: follower.store,
    label: base,
    state: () => state,
    alerts: () => alerts,
    onState(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async start() {
      follower.start();
      void pollAlerts();
      alertTimer = setInterval(() => void pollAlerts(), 5_000);
      alertTimer.unref?.();
    },
    loaded: () =>
      new Promise<void>((resolve) => {
        if (follower.store.snapshot() !== null) return resolve();
        const off = follower.store.subscribe(() => {
          off();
          resolve();
        });
      }),
    async stop() {
      follower.stop();
      if (alertTimer !== null) clearInterval(alertTimer);
    },
    async recentEvents(orchestrator, worker, limit = RECENT_DEFAULT) {
      const since = new Date(Date.now() - HISTORY_MS).toISOString();
      const q = new URLSearchParams({ orchestrator, worker, since, limit: "10000" });
      if (options.token !== null) q.set("token", options.token);
      const res = await doFetch(`${base}/api/events?${q}`);
      if (!res.ok) throw new Error(`/api/events answered ${res.status}`);
      const body = (await res.json()) as { events: Array<Record<string, unknown>> };
      return body.events.slice(-limit).map(eventLineView);
    },
  };
}

/** Runs the engine on `catalystDir` in this process (no server); `demo` also runs the simulated fleet. */
export function embeddedSource(options: {
  catalystDir: string | null;
  demo?: boolean;
  githubToken?: string | null;
  /** Claude Code's jobs dir for execution-core liveness; the demo uses its own simulated one. */
  jobsDir?: string | null;
}): FleetSource {
  const store = createFleetStore();
  const listeners = new Set<() => void>();
  let engine: Engine | null = null;
  let fleet: DemoFleet | null = null;
  let unsubscribe: (() => void) | null = null;
  let loading = true;
  const notify = (): void => {
    for (const l of [...listeners]) l();
  };
  const resnapshot = (): void => {
    if (engine === null) return;
    const snapshot = engine.snapshot();
    store.apply({ id: engine.feed.lastId(), event: "snapshot", data: snapshot } as Delta);
    const nowLoading = engine.loading() !== null;
    if (nowLoading !== loading) {
      loading = nowLoading;
      notify();
    }
  };
  return {
    store,
    label: options.demo ? "demo fleet (in-process)" : `${options.catalystDir} (in-process)`,
    state: () => ({ state: "embedded", loading }),
    alerts: () => null,
    onState(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async start() {
      let dir = options.catalystDir;
      if (options.demo) {
        fleet = createDemoFleet();
        await fleet.start();
        dir = fleet.dir;
      }
      if (dir === null) throw new Error("no catalyst dir");
      const started = createEngine({
        catalystDir: dir,
        githubToken: options.demo ? null : (options.githubToken ?? null),
        jobsDir: options.demo ? (fleet?.jobsDir ?? null) : (options.jobsDir ?? null),
        onLoaded: () => resnapshot(),
      });
      engine = started;
      let ready = false;
      const early: Delta[] = [];
      unsubscribe = started.feed.subscribe((deltas) => {
        if (!ready) {
          early.push(...deltas);
          return;
        }
        for (const d of deltas) store.apply(d);
      });
      await started.start();
      resnapshot();
      ready = true;
      const from = store.lastId();
      for (const d of early) if (d.id > from) store.apply(d);
    },
    async loaded() {
      await engine?.historyLoaded();
      resnapshot();
    },
    async stop() {
      unsubscribe?.();
      await engine?.stop();
      await fleet?.stop();
    },
    async recentEvents(orchestrator, worker, limit = RECENT_DEFAULT) {
      if (engine === null) return [];
      const dir = options.demo ? (fleet?.dir ?? "") : (options.catalystDir ?? "");
      const out: EventLineView[] = [];
      const since = new Date(Date.now() - HISTORY_MS);
      for await (const record of engine.readEvents(dir, {
        since,
        filter: (e) => e.orchestrator === orchestrator && e.worker === worker,
      })) {
        out.push(eventLineView(record.line as Record<string, unknown>));
        if (out.length > limit) out.shift();
      }
      return out;
    },
  };
}
