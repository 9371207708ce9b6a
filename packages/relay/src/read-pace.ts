// How a relay read shares the event loop: a window of tens of thousands of lines is parsed,
// sorted and handed out in pieces, a turn of the event loop (setImmediate) between them, so a
// monitor that reads the stream for a question (the central `?at=` and `/api/events`) keeps
// serving meanwhile. The work is counted here so tests can check the pieces by COUNT, not time.

/** Lines parsed, merged or handed out between two turns of the event loop at most. */
export const LINES_PER_TURN = 256;

/** Events sorted in one piece: the window's buffer is sorted a run of this many at a time as it fills. */
export const SORT_RUN = 1024;

/**
 * What relay reads have done in this process so far (never reset): `parses` lines parsed
 * (`parseLogLine`), `sorted` events put through an in-memory sort (a run's length each time).
 * Internal: tests sample it between turns of the event loop.
 */
export const readWork = { parses: 0, sorted: 0 };

/** One turn of the event loop. */
export const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A function to call after each piece of work: every `every`-th call gives the event loop a turn. */
export function pacer(every: number = LINES_PER_TURN): () => Promise<void> | undefined {
  let count = 0;
  return () => {
    if (++count < every) return undefined;
    count = 0;
    return turn();
  };
}
