/**
 * `Promise.all(items.map(fn))` with at most `limit` calls in flight, results in input order. Reads
 * of a whole directory go through it so a fleet of signal files never holds more than `limit`
 * descriptors at once (with `ulimit -n 1024`, 2,000 parallel opens failed with EMFILE; issue 17).
 */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** How many files a directory read opens at once. */
export const READ_CONCURRENCY = 16;

/**
 * A gate that runs at most `limit` of the calls given to it at once, the rest in arrival order;
 * an `urgent` call goes ahead of every waiting one that is not (a live change before a rescan's reads).
 */
export function createLimiter(limit: number): <R>(fn: () => Promise<R>, urgent?: boolean) => Promise<R> {
  let active = 0;
  let urgentWaiting = 0;
  const waiting: Array<() => void> = [];
  return async (fn, urgent = false) => {
    if (active >= limit)
      await new Promise<void>((resolve) => {
        if (!urgent) waiting.push(resolve);
        else
          waiting.splice(urgentWaiting++, 0, () => {
            urgentWaiting -= 1;
            resolve();
          });
      });
    active += 1;
    try {
      return await fn();
    } finally {
      active -= 1;
      waiting.shift()?.();
    }
  };
}
