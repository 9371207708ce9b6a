// Deltas can come thousands a second (a first scan, a burst of writes); the screen is redrawn at
// most once per interval, with the latest state, and never more than one redraw is pending.

/** The timer functions the throttle uses; tests pass their own. */
export interface ThrottleTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: ThrottleTimers = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface Throttle {
  /** Asks for a run; runs now if the last run is `intervalMs` old, else once at the end of it. */
  request(): void;
  /** Drops a pending run. */
  cancel(): void;
  /** How many times `run` ran. */
  runs(): number;
}

/** Runs `run` at most once per `intervalMs` (default 100 ms: ~10 frames a second), trailing edge kept. */
export function createThrottle(
  run: () => void,
  intervalMs = 100,
  timers: ThrottleTimers = realTimers,
): Throttle {
  let last = Number.NEGATIVE_INFINITY;
  let pending: unknown = null;
  let count = 0;
  const fire = (): void => {
    pending = null;
    last = timers.now();
    count += 1;
    run();
  };
  return {
    request() {
      if (pending !== null) return;
      const wait = last + intervalMs - timers.now();
      if (wait <= 0) fire();
      else pending = timers.setTimeout(fire, wait);
    },
    cancel() {
      if (pending !== null) timers.clearTimeout(pending);
      pending = null;
    },
    runs: () => count,
  };
}
