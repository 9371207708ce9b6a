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

/** A log line's size as the pulls count it (event lines are a few hundred bytes; a longer one is one message). */
const PULL_LINE_BYTES = 4 * 1024;
/** The fewest messages one pull asks for, whatever its byte share. */
const MIN_PULL_MESSAGES = 64;

/**
 * How many messages one pull asks for (every relay pull: the start-up reads, the live durable, `readRelayEvents`), given its bytes: `maxBytes` of 4 KiB lines (at
 * least 64). Pulls are bounded by count, not bytes: with a byte-bounded pull, nats.js 3.4 counts the
 * bytes of pulls the server ended at their message count as still pending, so later pulls shrink,
 * and a line larger than what is left of them (30 KB after 300 lines of 200 B) ends each pull with
 * "message size exceeds maxbytes" and nothing more is asked until two heartbeats are missed (30 s);
 * the central's start-up read stalled there (as the state load did on a last-per-subject consumer).
 */
export function pullCountOf(maxBytes: number): number {
  return Math.max(MIN_PULL_MESSAGES, Math.floor(maxBytes / PULL_LINE_BYTES));
}
