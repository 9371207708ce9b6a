import { channel } from "node:diagnostics_channel";
import type { Alert, Notifier, NotifierStats } from "@catalyst/notify";
import type { Delta, Snapshot } from "@catalyst/schema";
import { alertKeyOf } from "./delivery-key.js";
import type { DispatchOptions } from "./dispatcher.js";
import { type IncidentStore, OUTBOX_LIMIT, type OutboxChanges, type OutboxEntry } from "./incident-store.js";

// Drives the pure notifier over a live delta feed: one timer armed at its next deadline, the
// open incidents persisted whenever they changed (one write in flight at a time, only the
// incidents that changed, the latest state last), the last alerts kept for the bell, and every alert handed to the dispatcher.
//
// With a store, an alert is sent only after it is on disk: the write that holds the incident it
// opened or closed also holds the alert in the outbox (fsynced), and the alert goes to the
// channels once that write is done. Each channel that takes it (or refuses it for good) is
// written with a later save; a restart sends what the outbox still owes, with the same delivery
// keys. So a crash never loses an alert and never makes a second, different one for an incident;
// a crash while a request is in flight sends that request again with the same key.

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
/** The seed's snapshot steps run for about this long before the event loop gets a turn. */
const SNAPSHOT_STEP_MS = 8;

/** What the runtime reads from fuse (the monitor's feed fits). */
export interface AlertFeed {
  snapshot(): Snapshot;
  /**
   * The same snapshot a step at a time (fuse's `snapshotSteps`: one orchestrator a step, the
   * fleet as it was at the first step); optional. With it the seed's snapshot is made with turns
   * of the event loop between steps (issue 26: made whole, ~30–50 ms at 10,000 workers).
   */
  snapshotSteps?(): Generator<undefined, Snapshot, undefined>;
  subscribe(listener: (deltas: Delta[]) => void): () => void;
}

export interface NotifyRuntimeOptions {
  feed: AlertFeed;
  notifier: Notifier;
  /**
   * Where alerts go (the dispatcher, usually). With a store, `options.key` is the alert's key in
   * the outbox and `options.skip` the channels that already took it; return the ids of the
   * channels it was queued on (a string array; anything else counts as none), and report each
   * one's end with `delivered(key, channelId)`.
   */
  deliver: (alert: Alert, options?: DispatchOptions) => unknown;
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
  /**
   * Stops the timer and the subscription, waits for `drain` (deliveries still under way, e.g. a
   * short grace) and writes the incidents and the outbox one last time.
   */
  stop(drain?: () => Promise<unknown>): Promise<void>;
  /** A channel took the alert of this outbox key, or refused it for good: it is not owed any more. */
  delivered(key: string, channelId: string): void;
  /** A channel's full queue did not take the alert of this outbox key: still owed, offered again on `room`. */
  deferred(key: string, channelId: string): void;
  /** A channel has room again: the alerts it deferred are offered to it again, oldest first. */
  room(channelId: string): void;
  /** The last alerts, oldest first, each with its sequence number in this run (1, 2, …). */
  recent(): Array<Alert & { seq: number }>;
  /** Every alert as it is made (SSE `alert` events, Web Push). */
  subscribe(listener: (alert: Alert) => void): () => void;
  stats(): NotifierStats;
}

interface OutboxRecord {
  entry: OutboxEntry;
  waiting: Set<string> | null;
  deferred: Set<string>;
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
  // The outbox: alerts owed to channels, by key (oldest first), with the channels still owing (null
  // until the alert was handed to the dispatcher) and those whose full queue deferred it, and what
  // changed since the last write.
  const outbox = new Map<string, OutboxRecord>();
  // Channels that deferred alerts and have not had room since (so `room` skips the outbox walk otherwise).
  const deferredOn = new Set<string>();
  let outboxChanges: OutboxChanges = { add: [], done: [], finished: [] };

  const outboxDirty = () =>
    outboxChanges.add.length + outboxChanges.done.length + outboxChanges.finished.length > 0;

  function finish(key: string): void {
    outbox.delete(key);
    outboxChanges.finished.push(key);
  }

  /** Hands an alert of the outbox to the channels that still owe it. */
  function send(entry: OutboxEntry): void {
    const record = outbox.get(entry.id);
    if (record === undefined) return;
    const answer = options.deliver(entry.alert, { key: entry.id, skip: entry.done });
    const queued: readonly string[] = Array.isArray(answer) ? answer : [];
    // A channel may have reported already (a queue over its bound defers at once).
    record.waiting = new Set(queued.filter((id) => !entry.done.includes(id)));
    for (const id of record.deferred) if (!entry.done.includes(id)) record.waiting.add(id);
    if (record.waiting.size === 0) finish(entry.id);
  }

  function emit(alerts: readonly Alert[]): void {
    for (const alert of alerts) {
      seq += 1;
      recent.push({ ...alert, seq });
      if (recent.length > limit) recent.shift();
      if (store === null) options.deliver(alert);
      else {
        // Sent once the write that holds it is done (persist).
        const entry: OutboxEntry = { id: alertKeyOf(alert), alert, done: [] };
        outbox.set(entry.id, { entry, waiting: null, deferred: new Set() });
        outboxChanges.add.push(entry);
        // The bound (the store reads back as many): a channel down for long enough loses the
        // oldest alert it owes, and says so.
        for (const [key, old] of outbox) {
          if (outbox.size <= OUTBOX_LIMIT) break;
          finish(key);
          onProblem(
            `more than ${OUTBOX_LIMIT} alerts owed to channels: the oldest (${old.entry.alert.incident}) is dropped`,
          );
        }
      }
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
  // The outbox's entries are copied: a rewrite serialises them after a turn of I/O.
  function writeChanges(): Promise<void> {
    if (store === null) return Promise.resolve();
    const changes = { ...notifier.takeChanges(), outbox: outboxChanges };
    outboxChanges = { add: [], done: [], finished: [] };
    return store.saveChanges(changes, () => ({
      incidents: notifier.openIncidents(),
      outbox: [...outbox.values()].map(({ entry }) => ({ ...entry, done: [...entry.done] })),
    }));
  }

  function persist(): void {
    if (store === null || saving !== null) return;
    if (notifier.version() === savedVersion && !outboxDirty()) return;
    const version = notifier.version();
    const sending = outboxChanges.add;
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
        // On disk now (or the write failed: a lost alert is worse than one a crash could repeat).
        for (const entry of sending) send(entry);
        // Changed again while writing: write the newer state. A failed write is retried on the
        // next change; the store then rewrites the whole state (the changes it failed to append
        // are in it).
        if (!stopped && ((notifier.version() !== version && savedVersion === version) || outboxDirty()))
          persist();
      });
  }

  /** One write now, outside the one-at-a-time chain (stop: nothing else writes then); then sends what it held. */
  async function writeNow(): Promise<void> {
    if (store === null || (notifier.version() === savedVersion && !outboxDirty())) return;
    const sending = outboxChanges.add;
    try {
      await writeChanges();
      savedVersion = notifier.version();
    } catch (error) {
      onProblem(`cannot write ${store.path}: ${String((error as { code?: unknown }).code ?? error)}`);
    }
    for (const entry of sending) send(entry);
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
        const { incidents, outbox: owed, problem } = await store.load();
        if (problem !== null) onProblem(problem);
        if (stopped) return;
        notifier.restore(incidents, clock());
        savedVersion = notifier.version();
        // What the last run wrote but no channel confirmed: sent again, with the same keys.
        for (const entry of owed) outbox.set(entry.id, { entry, waiting: null, deferred: new Set() });
        for (const entry of owed) send(entry);
        persist();
      }
      // The seed goes in parts with I/O between them; deltas that come meanwhile are held and
      // applied after it, in order (the snapshot and the subscription are taken together: the
      // subscription starts in the same block as the snapshot's first step, which fixes the
      // fleet's moment).
      let held: Delta[][] | null = [];
      unsubscribe = options.feed.subscribe((deltas) => {
        if (held !== null) {
          held.push(deltas);
          return;
        }
        emit(notifier.apply(deltas, clock()));
        after();
      });
      let snapshot: Snapshot;
      if (options.feed.snapshotSteps === undefined) snapshot = options.feed.snapshot();
      else {
        const steps = options.feed.snapshotSteps();
        let since = performance.now();
        for (;;) {
          const step = steps.next();
          if (step.done === true) {
            snapshot = step.value;
            break;
          }
          if (performance.now() - since >= SNAPSHOT_STEP_MS) {
            await new Promise<void>((resolve) => setImmediate(resolve));
            if (stopped) return;
            since = performance.now();
          }
        }
      }
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
    async stop(drain) {
      stopped = true;
      unsubscribe?.();
      unsubscribe = null;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      if (saving !== null) await saving;
      // What is not written yet (alerts made while the last write ran), then sent: the drain
      // gives the channels a chance to take it; the last write keeps what they confirmed.
      await writeNow();
      if (drain !== undefined) await drain();
      await writeNow();
    },
    delivered(key, channelId) {
      const record = outbox.get(key);
      if (record === undefined || record.entry.done.includes(channelId)) return;
      record.entry.done.push(channelId);
      outboxChanges.done.push({ id: key, channel: channelId });
      record.waiting?.delete(channelId);
      if (record.waiting?.size === 0) finish(key);
      // Not urgent: a crash before this is written sends the alert again with the same key.
      if (!stopped) persist();
    },
    deferred(key, channelId) {
      const record = outbox.get(key);
      if (record === undefined || record.entry.done.includes(channelId)) return;
      // `send` counts it as still waiting (a `room` re-offer finds it waiting already).
      record.deferred.add(channelId);
      deferredOn.add(channelId);
    },
    room(channelId) {
      if (!deferredOn.delete(channelId)) return;
      for (const record of outbox.values()) {
        if (!record.deferred.has(channelId)) continue;
        const answer = options.deliver(record.entry.alert, { key: record.entry.id, only: [channelId] });
        // Deferred again (the `deferred` call marked the channel once more): the rest wait for the next room.
        if (!Array.isArray(answer) || !answer.includes(channelId)) return;
        record.deferred.delete(channelId);
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
