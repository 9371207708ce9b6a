import type { LogRecord, NormalizedEvent } from "@catalyst/schema";
import { parseLogLine } from "@catalyst/sources";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { type BrokerOptions, connectNats, toConnectError } from "./broker.js";
import { type RelayNames, resolveNames } from "./names.js";
import { createSpillSorter, type RelayEvent } from "./spill-sorter.js";
import type { LogMessage } from "./wire.js";

/** Options of {@link readRelayEvents}. */
export interface ReadRelayEventsOptions extends BrokerOptions, RelayNames {
  /** Inclusive lower bound on each line's own `ts`. */
  since?: Date;
  /** Exclusive upper bound on each line's own `ts`. */
  until?: Date;
  /** Only these hosts (absent: every host). */
  hosts?: readonly string[];
  /** Only lines whose parsed event passes. */
  filter?: (event: NormalizedEvent) => boolean;
  /** Bytes of lines sorted in memory; a bigger window spills sorted runs to a temp dir. @default 64 MiB */
  memoryBytes?: number;
  /** Parent of the temp dir of spilled runs (never the catalyst dir). @default os.tmpdir() */
  tmpDir?: string;
  /** Bytes pulled from the broker at once. @default 1 MiB */
  maxBytes?: number;
  /** Told how far the read of the stream is (messages), at most every 1,000 messages. */
  onProgress?: (progress: { received: number; total: number }) => void;
  /** Stops the read; the iteration then ends early. */
  signal?: AbortSignal;
}

/** What a read met on its way. */
export interface RelayEventStats {
  /** Stream messages read. */
  messages: number;
  /** Lines in the window (and filters), before duplicates were dropped. */
  matched: number;
  /** Messages that are not relay log messages. */
  malformed: number;
  /** Relay messages whose line is not a valid event line. */
  invalid: number;
  /** The same line (host, file, generation, offset) stored twice on the stream: printed once. */
  duplicates: number;
  /** Sorted runs written to disk (0 when the window fitted in memory). */
  runs: number;
  spilledBytes: number;
  /** The broker has no such stream yet (nothing was ever published). */
  streamMissing: boolean;
}

/** Reconnects tried during one read before it gives up (the read has an end, unlike the relay). */
const READ_RECONNECT_ATTEMPTS = 20;

/**
 * Read every host's event-log lines back from the stream and hand them out merged in the lines' own
 * `ts` order (then host, file, generation, byte offset), exact whatever the clocks did: the whole
 * stream up to its last message at start is read (an ordered consumer from the first sequence, not a
 * start time, since the broker's receive time is not the line's `ts`), each line is placed and
 * filtered by its own `ts`, and the window is sorted in a byte-bounded buffer that spills sorted runs
 * to a temp dir (removed afterwards) and merges them. Throws RelayConnectError when the broker
 * cannot be reached or refuses the credentials.
 */
export function readRelayEvents(
  options: ReadRelayEventsOptions,
): AsyncIterable<RelayEvent> & { readonly stats: RelayEventStats } {
  const stats: RelayEventStats = {
    messages: 0,
    matched: 0,
    malformed: 0,
    invalid: 0,
    duplicates: 0,
    runs: 0,
    spilledBytes: 0,
    streamMissing: false,
  };
  return {
    stats,
    [Symbol.asyncIterator]: () => read(options, stats),
  };
}

async function* read(options: ReadRelayEventsOptions, stats: RelayEventStats): AsyncGenerator<RelayEvent> {
  const names = resolveNames(options);
  const sinceMs = options.since?.getTime() ?? Number.NEGATIVE_INFINITY;
  const untilMs = options.until?.getTime() ?? Number.POSITIVE_INFINITY;
  const hosts = options.hosts ? new Set(options.hosts) : null;
  const sorter = createSpillSorter({
    budgetBytes: options.memoryBytes ?? 64 * 1024 * 1024,
    ...(options.tmpDir ? { tmpDir: options.tmpDir } : {}),
  });
  try {
    const nc = await connectNats({
      ...options,
      maxReconnectAttempts: options.maxReconnectAttempts ?? READ_RECONNECT_ATTEMPTS,
    });
    try {
      await readStream(nc, names.stream, options, stats, async (data) => {
        if (hosts !== null && !hosts.has(data.host)) return;
        const parsed = parseLogLine(data.text, data.file, data.offset);
        if (!parsed.ok) {
          stats.invalid++;
          return;
        }
        const tsMs = parsed.record.event.tsMs;
        if (!(tsMs >= sinceMs && tsMs < untilMs)) return;
        if (options.filter && !options.filter(parsed.record.event)) return;
        stats.matched++;
        await sorter.add({
          host: data.host,
          file: data.file,
          generation: data.generation,
          offset: data.offset,
          tsMs,
          text: data.text,
        });
      });
    } finally {
      await nc.close().catch(() => {});
    }
    if (options.signal?.aborted) return;
    for await (const e of sorter.drain()) {
      stats.runs = sorter.stats.runs;
      stats.spilledBytes = sorter.stats.spilledBytes;
      if (options.signal?.aborted) return;
      yield e;
    }
    stats.runs = sorter.stats.runs;
    stats.spilledBytes = sorter.stats.spilledBytes;
    stats.duplicates = sorter.stats.duplicates;
  } finally {
    await sorter.dispose();
  }
}

/** Read the stream from its first message to the one that was last when the read began. */
async function readStream(
  nc: NatsConnection,
  stream: string,
  options: ReadRelayEventsOptions,
  stats: RelayEventStats,
  onMessage: (data: LogMessage) => Promise<void>,
): Promise<void> {
  let first: number;
  let last: number;
  let count: number;
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(stream);
    ({ first_seq: first, last_seq: last, messages: count } = info.state);
  } catch (error) {
    if (isStreamNotFound(error)) {
      stats.streamMissing = true;
      return;
    }
    throw toConnectError(error, options.servers);
  }
  if (count === 0 || last < first) return;
  const total = last - first + 1;
  const consumer = await jetstream(nc).consumers.get(stream, {});
  const messages = await consumer.consume({ max_bytes: options.maxBytes ?? 1024 * 1024 });
  const closed = nc.closed().then((error) => error);
  let done = false;
  try {
    for await (const m of messages) {
      if (options.signal?.aborted) break;
      stats.messages++;
      let data: LogMessage | null = null;
      try {
        data = m.json<LogMessage>();
      } catch {
        data = null;
      }
      if (isLogMessage(data)) await onMessage(data);
      else stats.malformed++;
      if (options.onProgress && stats.messages % 1000 === 0)
        options.onProgress({ received: m.seq - first + 1, total });
      // The last message at start, or nothing left (the tail was removed by a limit meanwhile).
      if (m.seq >= last || m.info.pending === 0) {
        done = true;
        break;
      }
    }
  } finally {
    await messages.close().catch(() => {});
  }
  if (!done && !options.signal?.aborted) {
    const error = await Promise.race([closed, Promise.resolve(undefined)]);
    throw toConnectError(
      error ?? new Error(`the stream ended after ${stats.messages} of ${total} messages (connection lost)`),
      options.servers,
    );
  }
  options.onProgress?.({ received: total, total });
}

function isLogMessage(data: unknown): data is LogMessage {
  if (data === null || typeof data !== "object") return false;
  const d = data as Record<string, unknown>;
  return (
    typeof d.host === "string" &&
    typeof d.file === "string" &&
    typeof d.text === "string" &&
    Number.isSafeInteger(d.offset) &&
    Number.isSafeInteger(d.generation)
  );
}

function isStreamNotFound(error: unknown): boolean {
  const e = error as { message?: string; name?: string; code?: number; api_error?: { err_code?: number } };
  return (
    e?.name === "StreamNotFoundError" ||
    e?.api_error?.err_code === 10059 ||
    /stream not found/i.test(e?.message ?? "")
  );
}

/** A relay event as the `LogRecord` the local readers give (file relative to its host's catalyst dir); null if its line does not parse. */
export function toLogRecord(event: RelayEvent): (LogRecord & { host: string }) | null {
  const parsed = parseLogLine(event.text, event.file, event.offset);
  return parsed.ok ? { ...parsed.record, host: event.host } : null;
}
