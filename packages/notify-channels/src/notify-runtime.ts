import { channel } from "node:diagnostics_channel";
import type { Alert, Notifier, NotifierStats } from "@catalyst/notify";
import type { Delta, Snapshot } from "@catalyst/schema";
import type { IncidentStore } from "./incident-store.js";

// Drives the pure notifier over a live delta feed: one timer armed at its next deadline, the
// open incidents persisted whenever they changed (one write in flight at a time, only the
// incidents that changed, the latest state last), the last alerts kept for the bell, and every alert handed to the dispatcher.

/** The gap between two timer ticks while due timers are left over from a bounded tick. */
const CATCH_UP_GAP_MS = 5;

/**
 * Per-stage timestamps, opt-in (issue 26): `alerts` after each timer tick and `alerts-seed` after
 * the seed from the fleet's snapshot, each with its duration.
 */
const stages = channel("catalyst:stage");

/**
 * Workers and rows seeded per step before the event loop runs again (about a millisecond of work on
 * a quiet machine; 1,000 were up to 57 ms a step at 10,000 stalled workers on a loaded box, issue
 * 26). The deltas held meanwhile are those of the seed's own duration, applied right after.
 */
const SEED_PART = 250;

/** What the runtime reads from fuse (the monitor's feed fits). */
export interface AlertFeed {
  snapshot(): Snapshot;
  subscribe(listener: (deltas: Delta[]) => void): () => void;
}

export interface NotifyRuntimeOptions {
  feed: AlertFeed;
  notifier: Notifier;
  /** Where alerts go (the dispatcher, usually). */
  deliver: (alert: Alert) => void;
  store?: IncidentStore | null;
  /** @default Date.now */
  clock?: () => number;
  /** Alerts kept for `recent()`. @default 50 */
  recentLimit?: number;
  /** A failed write of the store, or a store that could not be read (the app logs it). */
  onProblem?: (problem: string) => void;
}

export interface NotifyRuntime {
  /** Restores the persisted incidents, seeds from the feed's snapshot and starts following it. */
  start(): Promise<void>;
  /** Stops the timer and the subscription and writes the incidents one last time. */
  stop(): Promise<void>;
  /** The last alerts, oldest first, each with its sequence number in this run (1, 2, …). */
  recent(): Array<Alert & { seq: number }>;
  /** Every alert as it is made (SSE `alert` events, Web Push). */
  subscribe(listener: (alert: Alert) => void): () => void;
  stats(): NotifierStats;
}

/** Creates the runtime; nothing happens until `start()`. */
export function createNotifyRuntime(options: NotifyRuntimeOptions): NotifyRuntime {
  const clock = options.clock ?? Date.now;
  const limit = options.recentLimit ?? 50;
  const store = options.store ?? null;
  const onProblem = options.onProblem ?? (() => {});
  const { notifier } = options;
  const recent: Array<Alert & { seq: number }> = [];
  let seq = 0;
  const listeners = new Set<(alert: Alert) => void>();
  let timer: ReturnType<typeof setTimeout> | null = null;
  // The last tick left timers due (see arm).
  let catchingUp = false;
  let timerAt: number | null = null;
  let unsubscribe: (() => void) | null = null;
  let savedVersion = notifier.version();
  let saving: Promise<void> | null = null;
  let stopped = false;

  function emit(alerts: readonly Alert[]): void {
    for (const alert of alerts) {
      seq += 1;
      recent.push({ ...alert, seq });
      if (recent.length > limit) recent.shift();
      options.deliver(alert);
      for (const l of listeners) {
        try {
          l(alert);
        } catch (error) {
          onProblem(`an alert listener failed: ${String(error)}`);
        }
      }
    }
  }

  // What changed since the last write is taken in the same turn as the write starts (with the
  // whole state, should the store rewrite it), so a write costs what changed (issue 26).
  function writeChanges(): Promise<void> {
    if (store === null) return Promise.resolve();
    return store.saveChanges(notifier.takeChanges(), () => notifier.openIncidents());
  }

  function persist(): void {
    if (store === null || saving !== null || notifier.version() === savedVersion) return;
    const version = notifier.version();
    saving = writeChanges()
      .then(
        () => {
          savedVersion = version;
        },
        (error: unknown) =>
          onProblem(`cannot write ${store.path}: ${String((error as { code?: unknown }).code ?? error)}`),
      )
      .finally(() => {
        saving = null;
        // Changed again while writing: write the newer state. A failed write is retried on the
        // next change; the store then rewrites the whole state (the changes it failed to append
        // are in it).
        if (!stopped && notifier.version() !== version && savedVersion === version) persist();
      });
  }

  function arm(): void {
    if (stopped) return;
    const next = notifier.nextDeadline();
    if (next === timerAt) return;
    if (timer !== null) clearTimeout(timer);
    timer = null;
    timerAt = next;
    if (next === null) return;
    // A tick is bounded (the notifier's `duePerTick`); while it leaves timers due, the next one
    // waits CATCH_UP_GAP_MS, not 0: a watcher's read is several turns of the event loop, and
    // back-to-back ticks put one in front of each (P7, 8,000 workers coming due at once: a write's
    // read waited 10-24 ms behind a chain of 1-4 ms ticks).
    const now = clock();
    const delay = next > now ? next - now : catchingUp ? CATCH_UP_GAP_MS : 0;
    timer = setTimeout(() => {
      timer = null;
      timerAt = null;
      const started = performance.now();
      const at = Math.max(clock(), next);
      const alerts = notifier.tick(at);
      const due = notifier.nextDeadline();
      catchingUp = due !== null && due <= at;
      if (stages.hasSubscribers)
        stages.publish({ stage: "alerts", n: alerts.length, ms: performance.now() - started });
      emit(alerts);
      after();
    }, delay);
    timer.unref?.();
  }

  function after(): void {
    arm();
    persist();
  }

  return {
    async start() {
      if (store !== null) {
        const { incidents, problem } = await store.load();
        if (problem !== null) onProblem(problem);
        notifier.restore(incidents, clock());
        savedVersion = notifier.version();
      }
      // The seed goes in parts with I/O between them; deltas that come meanwhile are held and
      // applied after it, in order (the snapshot and the subscription are taken together).
      const snapshot = options.feed.snapshot();
      let held: Delta[][] | null = [];
      unsubscribe = options.feed.subscribe((deltas) => {
        if (held !== null) {
          held.push(deltas);
          return;
        }
        emit(notifier.apply(deltas, clock()));
        after();
      });
      const parts = notifier.seedInParts(snapshot, clock(), SEED_PART);
      for (;;) {
        const started = performance.now();
        const next = parts.next();
        if (stages.hasSubscribers)
          stages.publish({
            stage: "alerts-seed",
            n: next.done ? 0 : next.value.length,
            ms: performance.now() - started,
          });
        if (next.done) break;
        emit(next.value);
        if (stopped) return;
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (stopped) return;
      }
      const waiting = held;
      held = null;
      for (const deltas of waiting) emit(notifier.apply(deltas, clock()));
      after();
    },
    async stop() {
      stopped = true;
      unsubscribe?.();
      unsubscribe = null;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      if (saving !== null) await saving;
      if (store !== null && notifier.version() !== savedVersion) {
        try {
          await writeChanges();
          savedVersion = notifier.version();
        } catch (error) {
          onProblem(`cannot write ${store.path}: ${String((error as { code?: unknown }).code ?? error)}`);
        }
      }
    },
    recent: () => [...recent],
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stats: () => notifier.stats(),
  };
}
