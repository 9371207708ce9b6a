import type { Delta, WorkerView } from "@catalyst/schema";

/**
 * What the fleet spent over time, derived from the changes of the workers' `cost.costUSD`: the
 * monitor, the dashboard and catalyst-top feed it the frames they already get, and ask for any
 * window (today, the last hour). No clock: every time is a frame's own `ts` (or `generatedAt`).
 */
export interface SpendTracker {
  /** Folds one frame: a `snapshot`, or a delta (worker frames carry the full worker). */
  observe(frame: Delta): void;
  /** US dollars spent in `[from, to)`; exact to a bucket (1 minute) inside the horizon. */
  spent(from: Date, to: Date): number;
  /** Buckets held (bounded by the horizon), for the tests. */
  size(): number;
}

/** Options of `createSpendTracker`. */
export interface SpendTrackerOptions {
  /**
   * How far back windows stay exact; older spend is folded into one running total.
   * @default 48 h (any "today" in any time zone, and the last hour)
   */
  horizonMs?: number;
}

const BUCKET_MS = 60_000;

/**
 * Spend in one minute: point amounts (a cost that grew while watched, at the frame's time) and
 * changes of a spending rate (a worker first seen with a cost has it spread evenly between its
 * `startedAt` and `updatedAt`: `+r` at the start, `-r` at the end, with `Σ r·t` to integrate).
 */
interface Bucket {
  mass: number;
  rate: number;
  rateTime: number;
}

function costOf(view: WorkerView): number {
  const usd = view.cost?.costUSD;
  return typeof usd === "number" && Number.isFinite(usd) && usd > 0 ? usd : 0;
}

function timeOf(iso: string | null): number | null {
  if (iso === null) return null;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : null;
}

/** Creates an empty tracker. Memory: one number per worker plus at most horizon / 1 min buckets. */
export function createSpendTracker(options: SpendTrackerOptions = {}): SpendTracker {
  const horizonBuckets = Math.ceil((options.horizonMs ?? 48 * 3_600_000) / BUCKET_MS);
  const buckets = new Map<number, Bucket>();
  // Spend older than the horizon: its rate changes still count for windows that start after it.
  const folded: Bucket = { mass: 0, rate: 0, rateTime: 0 };
  // The highest cost seen per worker, by orchestrator: a cost that goes down and up again is not
  // spent twice, and a resync snapshot adds only what grew.
  const seen = new Map<string, Map<string, number>>();
  let latest = Number.NEGATIVE_INFINITY;
  let oldest = Number.POSITIVE_INFINITY;

  const bucketAt = (t: number): Bucket => {
    const index = Math.floor(t / BUCKET_MS);
    if (index < Math.floor(latest / BUCKET_MS) - horizonBuckets) return folded;
    let b = buckets.get(index);
    if (b === undefined) {
      b = { mass: 0, rate: 0, rateTime: 0 };
      buckets.set(index, b);
      if (index < oldest) oldest = index;
    }
    return b;
  };

  const prune = (): void => {
    const cutoff = Math.floor(latest / BUCKET_MS) - horizonBuckets;
    if (oldest >= cutoff) return;
    // Walk the indices present, not every minute since the oldest (a quiet day has few).
    for (const [index, b] of buckets) {
      if (index >= cutoff) continue;
      folded.mass += b.mass;
      folded.rate += b.rate;
      folded.rateTime += b.rateTime;
      buckets.delete(index);
    }
    oldest = Number.POSITIVE_INFINITY;
    for (const index of buckets.keys()) if (index < oldest) oldest = index;
  };

  const addPoint = (t: number, usd: number): void => {
    bucketAt(t).mass += usd;
  };

  const addSpread = (from: number, to: number, usd: number): void => {
    const r = usd / (to - from);
    const a = bucketAt(from);
    a.rate += r;
    a.rateTime += r * from;
    const b = bucketAt(to);
    b.rate -= r;
    b.rateTime -= r * to;
  };

  const observeWorker = (view: WorkerView, now: number): void => {
    let perOrch = seen.get(view.orchestrator);
    if (perOrch === undefined) {
      perOrch = new Map();
      seen.set(view.orchestrator, perOrch);
    }
    const cost = costOf(view);
    const before = perOrch.get(view.ticket);
    if (before === undefined) {
      perOrch.set(view.ticket, cost);
      if (cost === 0) return;
      // First seen with a cost (start-up, a fresh client): spread over the worker's life so far.
      const end = Math.min(timeOf(view.completedAt) ?? timeOf(view.updatedAt) ?? now, now);
      const start = timeOf(view.startedAt);
      if (start === null || end - start < BUCKET_MS) addPoint(end, cost);
      else addSpread(start, end, cost);
      return;
    }
    if (cost > before) {
      perOrch.set(view.ticket, cost);
      addPoint(now, cost - before);
    }
  };

  return {
    observe(frame) {
      const now = frame.event === "snapshot" ? timeOf(frame.data.generatedAt) : timeOf(frame.data.ts);
      if (now === null) return;
      if (now > latest) latest = now;
      switch (frame.event) {
        case "snapshot":
          for (const o of frame.data.orchestrators)
            for (const w of Object.values(o.workers)) observeWorker(w, now);
          break;
        case "worker-update":
        case "pr-update":
        case "liveness-change":
          observeWorker(frame.data.workerState, now);
          break;
        case "worker-removed":
          seen.get(frame.data.orchestrator)?.delete(frame.data.worker);
          break;
        case "orchestrator-removed":
          seen.delete(frame.data.orchestrator);
          break;
        default:
          break;
      }
      prune();
    },
    spent(from, to) {
      const x = from.getTime();
      const y = to.getTime();
      if (!(y > x)) return 0;
      // ∫ rate over [x, y): a rate change r at t counts r·(y − max(x, t)) when t < y. Buckets are
      // taken whole: one starting before x counts as before it.
      let total = folded.rate * (y - x);
      for (const [index, b] of buckets) {
        const start = index * BUCKET_MS;
        if (start >= y) continue;
        if (start < x) total += b.rate * (y - x);
        else {
          total += b.rate * y - b.rateTime;
          total += b.mass;
        }
      }
      // Cents are what a reader wants; sub-micro-dollar float noise is not.
      return Math.max(0, Math.round(total * 1e6) / 1e6);
    },
    size: () => buckets.size,
  };
}
