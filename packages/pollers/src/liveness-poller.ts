import type { ComponentHealth, LivenessResult, LivenessTarget } from "@catalyst/schema";
import { type Clock, systemClock } from "./clock.js";
import { createHealthState, describeError, notifyListeners, rethrowLater } from "./health-state.js";
import { checkLiveness, type LivenessDeps } from "./pid-liveness.js";

/** One worker's liveness answer. */
export interface LivenessReport {
  orchestrator: string;
  worker: string;
  result: LivenessResult;
}

/** How often tracked pids are checked unless told otherwise: every 5 s. */
export const DEFAULT_LIVENESS_INTERVAL_MS = 5_000;
/** The shortest check interval the poller accepts (tests run fast clocks; the bins ask for more). */
export const MIN_LIVENESS_INTERVAL_MS = 10;
/** The longest check interval accepted: a dead worker should not wait more than an hour to show. */
export const MAX_LIVENESS_INTERVAL_MS = 3_600_000;

/**
 * Workers checked per turn of the event loop in a timed round. A check is a `kill(pid, 0)` and a
 * read of `/proc/<pid>/stat`, ~50 µs (BENCHMARKS.md, "Pollers"): a 2,000-worker round in one go
 * held the event loop 40–180 ms, up to 460 ms on a loaded box, and a signal file written meanwhile
 * waited for all of it before the host's watcher and relay publisher saw it (issue 28, P11's
 * host part). A round of this many or fewer still runs in one go.
 */
export const LIVENESS_SLICE = 100;

/** Options of `createLivenessPoller`. */
export interface LivenessPollerOptions {
  clock?: Clock;
  /**
   * From {@link MIN_LIVENESS_INTERVAL_MS} to {@link MAX_LIVENESS_INTERVAL_MS}; outside that range
   * `createLivenessPoller` throws a RangeError. @default 5_000
   */
  intervalMs?: number;
  /**
   * A worker first tracked (or tracked with a new pid) while running is checked this soon, on its
   * own, rather than on the next full round. @default 100
   */
  firstCheckDelayMs?: number;
  /** Probe overrides (tests inject EPERM, other platforms); real defaults otherwise. */
  deps?: LivenessDeps;
  /**
   * Gets the error of a subscriber that threw. Every subscriber is still called and the poller
   * goes on. @default rethrow the error on a later microtask, where the host's uncaught-error
   * handling sees it
   */
  onListenerError?: (error: unknown) => void;
}

/** Checks tracked worker pids on a timer and reports the ones whose answer changed. */
export interface LivenessPoller {
  /** Checks at once, then every `intervalMs`. */
  start(): void;
  stop(): Promise<void>;
  /** Replaces the set of workers to check; dropped workers are forgotten. */
  track(targets: readonly LivenessTarget[]): void;
  /** Checks every tracked worker now; returns all results and notifies the changed ones. */
  checkNow(): LivenessReport[];
  subscribe(listener: (results: LivenessReport[]) => void): () => void;
  health(): ComponentHealth;
}

const keyOf = (t: { orchestrator: string; worker: string }) => `${t.orchestrator}\u0000${t.worker}`;

function sameAnswer(a: LivenessResult, b: LivenessResult): boolean {
  return a.pid === b.pid && a.alive === b.alive && a.reason === b.reason && a.jobId === b.jobId;
}

/** Creates the pid liveness poller (seed: every 5 s → `liveness-change`). Never throws on bad pids. */
export function createLivenessPoller(options: LivenessPollerOptions = {}): LivenessPoller {
  const clock = options.clock ?? systemClock;
  const intervalMs = options.intervalMs ?? DEFAULT_LIVENESS_INTERVAL_MS;
  if (
    !Number.isFinite(intervalMs) ||
    intervalMs < MIN_LIVENESS_INTERVAL_MS ||
    intervalMs > MAX_LIVENESS_INTERVAL_MS
  )
    throw new RangeError(
      `the liveness poller's intervalMs must be from ${MIN_LIVENESS_INTERVAL_MS} to ${MAX_LIVENESS_INTERVAL_MS}, got ${intervalMs}`,
    );
  const firstCheckDelayMs = options.firstCheckDelayMs ?? 100;
  /** Keys tracked since the last check, checked on their own by `firstTimer`. */
  const fresh = new Set<string>();
  let firstTimer: NodeJS.Timeout | null = null;
  const targets = new Map<string, LivenessTarget>();
  const last = new Map<string, LivenessResult>();
  const listeners = new Set<(results: LivenessReport[]) => void>();
  const health = createHealthState();
  let timer: NodeJS.Timeout | null = null;
  /** The next slice of a timed round in progress. */
  let slice: NodeJS.Immediate | null = null;
  let running = false;

  const onListenerError = options.onListenerError ?? rethrowLater;
  const recordError = (error: unknown) => {
    health.lastErrorAt = clock.now().toISOString();
    health.lastError = describeError(error);
  };

  /** Checks one worker (gone from the tracked set: nothing); its report to `all`, and to `changed` when new. */
  const checkOne = (key: string, now: Date, all: LivenessReport[] | null, changed: LivenessReport[]) => {
    const target = targets.get(key);
    if (!target) return;
    fresh.delete(key);
    const result = checkLiveness(target, now, options.deps);
    const report = { orchestrator: target.orchestrator, worker: target.worker, result };
    all?.push(report);
    const before = last.get(key);
    if (!before || !sameAnswer(before, result)) changed.push(report);
    last.set(key, result);
  };
  const check = (keys: Iterable<string>): LivenessReport[] => {
    const now = clock.now();
    const all: LivenessReport[] = [];
    const changed: LivenessReport[] = [];
    for (const key of keys) checkOne(key, now, all, changed);
    health.lastSuccessAt = now.toISOString();
    if (changed.length > 0) notifyListeners(listeners, changed, onListenerError);
    return all;
  };
  const checkNow = (): LivenessReport[] => check([...targets.keys()]);

  // Cost follows the change: only the workers tracked since the last check are probed here.
  const checkFresh = () => {
    firstTimer = null;
    try {
      check([...fresh]);
    } catch (error) {
      recordError(error);
    }
  };

  const schedule = () => {
    health.nextRunAt = new Date(clock.now().getTime() + intervalMs).toISOString();
    timer = setTimeout(tick, intervalMs);
    timer.unref?.();
  };
  // A timed round: LIVENESS_SLICE workers per turn of the event loop, the changed answers reported
  // together at its end, the next round `intervalMs` after it.
  const tick = () => {
    timer = null;
    const keys = [...targets.keys()];
    const changed: LivenessReport[] = [];
    let at = 0;
    const next = () => {
      slice = null;
      if (!running) return;
      const now = clock.now();
      try {
        const end = Math.min(keys.length, at + LIVENESS_SLICE);
        for (; at < end; at++) checkOne(keys[at]!, now, null, changed);
      } catch (error) {
        recordError(error);
        if (running) schedule();
        return;
      }
      if (at < keys.length) {
        slice = setImmediate(next);
        return;
      }
      health.lastSuccessAt = now.toISOString();
      if (changed.length > 0) notifyListeners(listeners, changed, onListenerError);
      if (running) schedule();
    };
    next();
  };

  return {
    start() {
      if (running) return;
      running = true;
      tick();
    },
    async stop() {
      running = false;
      if (timer !== null) clearTimeout(timer);
      if (firstTimer !== null) clearTimeout(firstTimer);
      if (slice !== null) clearImmediate(slice);
      slice = null;
      timer = null;
      firstTimer = null;
      fresh.clear();
      health.nextRunAt = null;
    },
    track(next) {
      const keep = new Set<string>();
      for (const target of next) {
        const key = keyOf(target);
        keep.add(key);
        const before = targets.get(key);
        // A changed pid keeps the old answer as the baseline, so the next check reports the new one.
        if (
          !before ||
          before.pid !== target.pid ||
          before.startedAt !== target.startedAt ||
          before.jobId !== target.jobId
        ) {
          targets.set(key, { ...target });
          fresh.add(key);
        }
      }
      for (const key of [...targets.keys()]) {
        if (!keep.has(key)) {
          targets.delete(key);
          last.delete(key);
          fresh.delete(key);
        }
      }
      if (running && fresh.size > 0 && firstTimer === null) {
        firstTimer = setTimeout(checkFresh, firstCheckDelayMs);
        firstTimer.unref?.();
      }
    },
    checkNow,
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    health() {
      return { ...health };
    },
  };
}
