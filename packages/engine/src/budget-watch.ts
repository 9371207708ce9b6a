import { createSpendTracker } from "@catalyst/fuse";
import type { FuseLike } from "./monitor.js";

/** Over the daily budget: the limit, what was spent today, and since when it has been over. */
export interface BudgetOver {
  limitUsd: number;
  spentUsd: number;
  since: string;
}

/** Options of `createBudgetWatch`. */
export interface BudgetWatchOptions {
  fuse: FuseLike;
  /** The daily budget in US dollars (`--budget-usd`). */
  limitUsd: number;
  clock?: { now(): Date };
  /** How often today's spend is checked. @default 30_000 */
  intervalMs?: number;
  /** Called once per day, the first time today's spend passes the limit (an alert goes here). */
  onExceeded?: (over: BudgetOver) => void;
}

/** Watches today's spend against a daily budget and keeps fuse's `budget` row up to date. */
export interface BudgetWatch {
  start(): void;
  stop(): void;
  /** Checks now (the timer calls it); returns whether the budget is passed today. */
  check(): boolean;
  /** USD spent since local midnight, as of now. */
  spentToday(): number;
}

/** Local midnight of `now`: "today" is the day of the machine the monitor runs on. */
function startOfDay(now: Date): Date {
  const d = new Date(now.getTime());
  d.setHours(0, 0, 0, 0);
  return d;
}

/**
 * Follows fuse's deltas with a spend tracker (fuse's own, so the figure is the dashboard's) and, on
 * a timer, applies `{kind: "budget"}` to fuse when the state or the figure in cents changed. It
 * never applies from inside a fuse subscriber.
 */
export function createBudgetWatch(options: BudgetWatchOptions): BudgetWatch {
  const { fuse, limitUsd } = options;
  const clock = options.clock ?? { now: () => new Date() };
  const tracker = createSpendTracker();
  let unsubscribe: (() => void) | null = null;
  let timer: ReturnType<typeof setInterval> | null = null;
  // The day it went over, and when; a new day starts with the row gone.
  let overDay: number | null = null;
  let overSince: string | null = null;
  let lastCents: number | null = null;
  let alertedDay: number | null = null;

  const spentToday = (): number => {
    const now = clock.now();
    return tracker.spent(startOfDay(now), new Date(now.getTime() + 1));
  };

  const check = (): boolean => {
    const now = clock.now();
    const day = startOfDay(now).getTime();
    const spent = spentToday();
    if (spent <= limitUsd) {
      if (lastCents !== null) fuse.apply({ kind: "budget", over: null }, now);
      lastCents = null;
      overDay = null;
      overSince = null;
      return false;
    }
    if (overDay !== day) {
      overDay = day;
      overSince = now.toISOString();
    }
    const cents = Math.round(spent * 100);
    const over: BudgetOver = { limitUsd, spentUsd: cents / 100, since: overSince! };
    if (cents !== lastCents) fuse.apply({ kind: "budget", over }, now);
    lastCents = cents;
    if (alertedDay !== day) {
      alertedDay = day;
      options.onExceeded?.(over);
    }
    return true;
  };

  return {
    start() {
      if (unsubscribe !== null) return;
      // Seeded from the snapshot and subscribed in one synchronous step: no delta falls between.
      tracker.observe({ id: 0, event: "snapshot", data: fuse.snapshot() });
      unsubscribe = fuse.subscribe((deltas) => {
        for (const delta of deltas) tracker.observe(delta);
      });
      const intervalMs = options.intervalMs ?? 30_000;
      timer = setInterval(check, intervalMs);
      timer.unref?.();
    },
    stop() {
      unsubscribe?.();
      unsubscribe = null;
      if (timer !== null) clearInterval(timer);
      timer = null;
    },
    check,
    spentToday,
  };
}
