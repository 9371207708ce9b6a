/** Where a poller reads the time. Tests pass a fixed or hand-advanced clock. */
export interface Clock {
  now(): Date;
}

/** The real clock. */
export const systemClock: Clock = { now: () => new Date() };
