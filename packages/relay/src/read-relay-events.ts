import type { LogRecord, NormalizedEvent } from "@catalyst/schema";
import { parseLogLine } from "@catalyst/sources";
import {
  AckPolicy,
  type ConsumerInfo,
  DeliverPolicy,
  type JetStreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import { type NatsConnection, nanos } from "@nats-io/transport-node";
import { type BrokerOptions, connectNats, toConnectError } from "./broker.js";
import { redactUrl } from "./command-line.js";
import { RelayConnectError } from "./errors.js";
import { isStreamNotFound, jsClient, jsManager, kvManager, retryJetStream } from "./jetstream-calls.js";
import { escapeToken, unescapeToken } from "./keys.js";
import { type RelayNames, type ResolvedNames, resolveNames } from "./names.js";
import { pacer, pullCountOf, readWork } from "./read-pace.js";
import { createSpillSorter, type RelayEvent } from "./spill-sorter.js";
import {
  HOUR_MS,
  indexKeyOf,
  metaKeyOf,
  normaliseRanges,
  parseBucket,
  parseMeta,
  type SeqRange,
} from "./time-index.js";
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
  /** Bytes pulled from the broker at once, asked as a count of 4 KiB lines (see pullCountOf). @default 1 MiB */
  maxBytes?: number;
  /** Told how far the read of the stream is (messages), at most every 1,000 messages. */
  onProgress?: (progress: { received: number; total: number }) => void;
  /** Stops the read; the iteration then ends early. */
  signal?: AbortSignal;
  /**
   * Read a `since`/`until` window through the stream's time index (the publishers' per host and
   * hour sequence ranges) instead of the whole stream; hosts without an index are read whole.
   * False: always the whole stream. @default true
   */
  index?: boolean;
  /**
   * After the window, hand out every line published from then on (stream order, the same filters,
   * `since` included) until `signal` aborts; a lost broker ends the iteration with a RelayConnectError.
   */
  follow?: boolean;
  /** With `follow`: false skips the window, only lines published from now on. @default true */
  history?: boolean;
  /**
   * Keep each line's parse with its event, so `toLogRecord(event)` gives it without parsing the
   * line again (for a caller that folds or formats every line). Costs about twice a line's text in
   * memory per line held, counted in `memoryBytes`. @default false
   */
  keepRecords?: boolean;
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
  /** The stream's messages when the read began (what a whole read would read). */
  streamMessages: number;
  /** The window was read through the time index. */
  indexed: boolean;
  /** Sequence ranges read (1 for a whole read). */
  ranges: number;
  /** Lines handed out after the window (`follow`). */
  live: number;
}

/** Reconnects tried during one read before it gives up (the read has an end, unlike the relay). */
const READ_RECONNECT_ATTEMPTS = 20;

/** Counters of a read before it starts (`indexed`: whether it goes through the time index). */
export function emptyRelayEventStats(indexed: boolean): RelayEventStats {
  return {
    messages: 0,
    matched: 0,
    malformed: 0,
    invalid: 0,
    duplicates: 0,
    runs: 0,
    spilledBytes: 0,
    streamMissing: false,
    streamMessages: 0,
    indexed,
    ranges: 0,
    live: 0,
  };
}

/**
 * Read every host's event-log lines back from the stream and hand them out merged in the lines' own
 * `ts` order (then host, file, generation, byte offset), exact whatever the clocks did. A
 * `since`/`until` window is read through the publishers' time index (time-index.ts: per host and
 * hour of the lines' own `ts`, the sequence ranges holding them, plus whatever the index does not
 * cover, read whole); without a window the stream up to its last message at start is read (an
 * ordered consumer from the first sequence: the broker's receive time is not the line's `ts`).
 * Each line is placed and filtered by its own `ts`, and the window is sorted in a byte-bounded
 * buffer that spills sorted runs to a temp dir (removed afterwards) and merges them. With `follow`,
 * the lines published after the read began follow in stream order. Throws RelayConnectError when
 * the broker cannot be reached, refuses the credentials, or (following) is lost for good.
 */
export function readRelayEvents(
  options: ReadRelayEventsOptions,
): AsyncIterable<RelayEvent> & { readonly stats: RelayEventStats } {
  const stats = emptyRelayEventStats(false);
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
  /**
   * The line as an event when it passes the hosts, the window and the filter, with its parse (kept
   * for `toLogRecord` with `keepRecords`, so a line read is parsed once); null otherwise.
   */
  const toEvent = (data: LogMessage): { event: RelayEvent; record: LogRecord } | null => {
    if (hosts !== null && !hosts.has(data.host)) return null;
    readWork.parses++;
    const parsed = parseLogLine(data.text, data.file, data.offset);
    if (!parsed.ok) {
      stats.invalid++;
      return null;
    }
    const tsMs = parsed.record.event.tsMs;
    if (!(tsMs >= sinceMs && tsMs < untilMs)) return null;
    if (options.filter && !options.filter(parsed.record.event)) return null;
    const event: RelayEvent = {
      host: data.host,
      file: data.file,
      generation: data.generation,
      offset: data.offset,
      tsMs,
      text: data.text,
    };
    return { event, record: parsed.record };
  };
  // A turn of the event loop every LINES_PER_TURN lines: a pull's messages are otherwise handled
  // in one go (they arrive together), and a window's lines are many pulls.
  const pace = pacer();
  const collect = async (data: LogMessage): Promise<void> => {
    const got = toEvent(data);
    if (got !== null) {
      stats.matched++;
      if (options.keepRecords) {
        parsedRecords.set(got.event, got.record);
        await sorter.add(got.event, recordBytes(got.event));
      } else await sorter.add(got.event);
    }
    await pace();
  };
  let nc: NatsConnection | null = null;
  try {
    nc = await connectNats({
      ...options,
      maxReconnectAttempts: options.maxReconnectAttempts ?? READ_RECONNECT_ATTEMPTS,
    });
    const useIndex = (options.since !== undefined || options.until !== undefined) && options.index !== false;
    // A windowed read lists the stream's subjects (its hosts) with the same request.
    const state = await streamState(
      nc,
      names.stream,
      options.servers,
      useIndex ? `${names.subjectPrefix}.>` : undefined,
    );
    if (state === null) stats.streamMissing = true;
    else {
      stats.streamMessages = state.messages;
      if (state.messages > 0 && state.last >= state.first && !(options.follow && options.history === false)) {
        const plan = useIndex
          ? await planIndexedRead(nc, names, state, sinceMs, untilMs, hosts, options.servers)
          : null;
        if (plan === null) {
          stats.ranges = 1;
          await readStream(nc, names.stream, state, options, stats, collect);
        } else {
          stats.indexed = true;
          stats.ranges = plan.length;
          // JetStream was checked by the stream's info: no API check round trip again.
          const jsm = await jsManager(nc, options.servers, { checkAPI: false });
          // A few ranges read at once (each a round trip or more to set up); their lines reach the
          // sorter one at a time, each reader waiting for its own.
          let chain: Promise<void> = Promise.resolve();
          const serial = (data: LogMessage): Promise<void> => {
            chain = chain.then(() => collect(data));
            return chain;
          };
          let next = 0;
          const conn = nc;
          const worker = async (): Promise<void> => {
            while (next < plan.length && !options.signal?.aborted) {
              const range = plan[next++]!;
              await readRange(conn, jsm, names.stream, range, options, stats, serial);
            }
          };
          await Promise.all(Array.from({ length: Math.min(RANGES_IN_FLIGHT, plan.length) }, worker));
        }
      }
    }
    if (!options.follow) {
      const c = nc;
      nc = null;
      await c.close().catch(() => {});
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
    if (options.follow && nc !== null && !options.signal?.aborted)
      yield* followStream(nc, names, state?.last ?? 0, options, stats, toEvent);
  } finally {
    await sorter.dispose();
    await nc?.close().catch(() => {});
  }
}

/** The stream's first and last sequence (and its subjects, when listed). */
export interface StreamState {
  first: number;
  last: number;
  messages: number;
  /** Messages per subject, when asked for. */
  subjects?: Record<string, number>;
}

/** Ranges of an indexed read read at once. */
const RANGES_IN_FLIGHT = 8;

/** The stream's first and last sequence now (and its subjects under a filter); null when there is no stream yet. */
async function streamState(
  nc: NatsConnection,
  stream: string,
  servers: string | string[],
  subjectsFilter?: string,
): Promise<StreamState | null> {
  try {
    const jsm = await jsManager(nc, servers);
    const info = await retryJetStream(`the info of stream ${stream}`, servers, () =>
      jsm.streams.info(
        stream,
        subjectsFilter === undefined ? undefined : { subjects_filter: subjectsFilter },
      ),
    );
    const state: StreamState = {
      first: info.state.first_seq,
      last: info.state.last_seq,
      messages: info.state.messages,
    };
    if (subjectsFilter !== undefined) state.subjects = info.state.subjects ?? {};
    return state;
  } catch (error) {
    if (isStreamNotFound(error)) return null;
    throw toConnectError(error, servers);
  }
}

/** Read the stream from its first message to the one that was last when the read began. */
async function readStream(
  nc: NatsConnection,
  stream: string,
  state: StreamState,
  options: ReadRelayEventsOptions,
  stats: RelayEventStats,
  onMessage: (data: LogMessage) => Promise<void>,
): Promise<void> {
  const { first, last } = state;
  const total = last - first + 1;
  const consumer = await jsClient(nc).consumers.get(stream, {});
  const messages = await consumer.consume({ max_messages: pullCountOf(options.maxBytes ?? 1024 * 1024) });
  const closed = nc.closed().then((error) => error);
  let done = false;
  try {
    for await (const m of messages) {
      if (options.signal?.aborted) break;
      stats.messages++;
      await handle(m, stats, onMessage);
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

async function handle(
  m: JsMsg,
  stats: RelayEventStats,
  onMessage: (data: LogMessage) => Promise<void>,
): Promise<void> {
  let data: LogMessage | null = null;
  try {
    data = m.json<LogMessage>();
  } catch {
    data = null;
  }
  if (isLogMessage(data)) await onMessage(data);
  else stats.malformed++;
}

/** One piece of an indexed read: the messages of `subject` with sequences in [lo, hi]. */
export interface PlannedRange {
  subject: string;
  lo: number;
  hi: number;
}

/** Hour buckets looked up for one host at most; a wider window reads the host whole. */
const MAX_HOUR_LOOKUPS = 20_000;
/** Index lookups in flight at once. */
const LOOKUPS_IN_FLIGHT = 64;

/**
 * The sequence ranges that hold every line of the window, per host, from the time index; null when
 * the broker has no index (a whole read then). A host without an index is read whole (its subjects
 * only); a host's lines before its index began and after its last indexed sequence are read whole
 * too; a subject not of the relay's shape is read whole.
 */
export async function planIndexedRead(
  nc: NatsConnection,
  names: ResolvedNames,
  state: StreamState,
  sinceMs: number,
  untilMs: number,
  hosts: Set<string> | null,
  servers: string | string[],
): Promise<PlannedRange[] | null> {
  const { first, last } = state;
  const subjects = state.subjects ?? {};
  try {
    const jsm = await jsManager(nc, servers, { checkAPI: false });
    await retryJetStream(`the info of the index bucket ${names.indexBucket}`, servers, () =>
      jsm.streams.info(`KV_${names.indexBucket}`),
    );
  } catch (error) {
    if (isStreamNotFound(error)) return null;
    throw toConnectError(error, servers);
  }
  const kv = await retryJetStream(`the opening of the index bucket ${names.indexBucket}`, servers, () =>
    kvManager(nc, { checkAPI: false }).open(names.indexBucket),
  );
  const tokens = new Set<string>();
  const plan: PlannedRange[] = [];
  for (const subject of Object.keys(subjects)) {
    const rest = subject.slice(names.subjectPrefix.length + 1).split(".");
    if (rest.length === 2) tokens.add(rest[0]!);
    else plan.push({ subject, lo: first, hi: last });
  }
  const lowHour = Number.isFinite(sinceMs) ? Math.floor(sinceMs / HOUR_MS) : Number.NEGATIVE_INFINITY;
  const highHour = Number.isFinite(untilMs) ? Math.floor((untilMs - 1) / HOUR_MS) : Number.POSITIVE_INFINITY;
  // Every host's index at once: a few KV gets each.
  const perHost = await Promise.all(
    [...tokens].sort().map(async (token): Promise<PlannedRange[]> => {
      const host = unescapeToken(token);
      if (hosts !== null && (host === null || !hosts.has(host))) return [];
      const subject = `${names.subjectPrefix}.${token}.*`;
      let ranges: SeqRange[] = [[first, last]];
      // A host token this relay did not write has no index.
      if (host !== null && escapeToken(host) === token) {
        try {
          ranges = await hostRanges(kv, host, first, last, lowHour, highHour);
        } catch (error) {
          throw toConnectError(error, servers);
        }
      }
      return normaliseRanges(
        ranges
          .map(([lo, hi]): SeqRange => [Math.max(lo, first), Math.min(hi, last)])
          .filter(([lo, hi]) => lo <= hi),
      ).map(([lo, hi]) => ({ subject, lo, hi }));
    }),
  );
  for (const ranges of perHost) plan.push(...ranges);
  return plan;
}

/** One host's ranges of the hours [lowHour, highHour], plus what its index does not cover. */
async function hostRanges(
  kv: KV,
  host: string,
  first: number,
  last: number,
  lowHour: number,
  highHour: number,
): Promise<SeqRange[]> {
  const e = await kv.get(metaKeyOf(host));
  const meta = e && e.operation === "PUT" ? parseMeta(e.string()) : null;
  if (meta === null) return [[first, last]];
  const out: SeqRange[] = [];
  if (meta.from > first) out.push([first, meta.from - 1]);
  if (meta.mark < last) out.push([meta.mark + 1, last]);
  const hours: number[] = [];
  for (const [lo, hi] of Object.values(meta.blocks)) {
    const from = Math.max(lo, lowHour);
    const to = Math.min(hi, highHour);
    if (to - from + 1 + hours.length > MAX_HOUR_LOOKUPS) return [[first, last]];
    for (let h = from; h <= to; h++) hours.push(h);
  }
  for (let i = 0; i < hours.length; i += LOOKUPS_IN_FLIGHT) {
    const got = await Promise.all(
      hours.slice(i, i + LOOKUPS_IN_FLIGHT).map((h) => kv.get(indexKeyOf(host, h))),
    );
    for (const entry of got) {
      if (!entry || entry.operation !== "PUT") continue;
      const bucket = parseBucket(entry.string());
      // A bucket that cannot be read: the host is read whole rather than missing a line.
      if (bucket === null) return [[first, last]];
      out.push(...bucket.ranges);
    }
  }
  return out;
}

/**
 * Read one planned range: an ephemeral consumer filtered on the range's subject from `lo`, until
 * `hi`. A gap in the delivery sequence (a pull lost with the connection) is an error, never a
 * silently missing line.
 */
export async function readRange(
  nc: NatsConnection,
  jsm: JetStreamManager,
  stream: string,
  range: PlannedRange,
  options: ReadRelayEventsOptions,
  stats: RelayEventStats,
  onMessage: (data: LogMessage) => Promise<void>,
): Promise<void> {
  let ci: ConsumerInfo;
  try {
    ci = await jsm.consumers.add(stream, {
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: range.lo,
      filter_subject: range.subject,
      inactive_threshold: nanos(30_000),
      mem_storage: true,
      num_replicas: 1,
    });
  } catch (error) {
    throw toConnectError(error, options.servers);
  }
  const closed = nc.closed().then((error) => error);
  try {
    if (ci.num_pending === 0) return;
    const consumer = jsClient(nc).consumers.getConsumerFromInfo(ci);
    const messages = await consumer.consume({ max_messages: pullCountOf(options.maxBytes ?? 1024 * 1024) });
    let done = false;
    let delivered = 0;
    try {
      for await (const m of messages) {
        if (options.signal?.aborted) break;
        delivered++;
        if (m.info.deliverySequence !== delivered) break; // a lost pull: reported below
        if (m.seq > range.hi) {
          done = true;
          break;
        }
        stats.messages++;
        await handle(m, stats, onMessage);
        if (options.onProgress && stats.messages % 1000 === 0)
          options.onProgress({ received: stats.messages, total: stats.streamMessages });
        if (m.seq >= range.hi || m.info.pending === 0) {
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
        error ?? new Error(`the read of ${range.subject} broke off (connection lost)`),
        options.servers,
      );
    }
  } finally {
    jsm.consumers.delete(stream, ci.name).catch(() => {});
  }
}

/** How often a follow looks again for a stream that does not exist yet. */
const STREAM_POLL_MS = 1_000;

/**
 * Every line published after `after`, in stream order, through the same filters, until the signal
 * aborts. A connection that closes for good (the broker lost past the reconnect attempts) throws.
 */
async function* followStream(
  nc: NatsConnection,
  names: ResolvedNames,
  after: number,
  options: ReadRelayEventsOptions,
  stats: RelayEventStats,
  toEvent: (data: LogMessage) => { event: RelayEvent; record: LogRecord } | null,
): AsyncGenerator<RelayEvent> {
  const signal = options.signal;
  const closed = nc.closed().then((error) => ({ error }));
  const lost = async (error: unknown): Promise<never> => {
    const cause = toConnectError(error ?? new Error("the connection closed"), options.servers);
    const where = redactUrl(Array.isArray(options.servers) ? options.servers.join(",") : options.servers);
    const reason = /\(([^()]*)\)$/.exec(cause.message)?.[1] ?? "the connection closed";
    throw new RelayConnectError(
      `lost the NATS broker at ${where} while following (${reason})`,
      "unreachable",
      {
        cause,
      },
    );
  };
  // No stream yet: wait for the first publisher.
  while (stats.streamMissing) {
    if (signal?.aborted) return;
    const state = await streamState(nc, names.stream, options.servers).catch(async (error) => {
      if (nc.isClosed()) return lost((await closed).error);
      throw error;
    });
    if (state !== null) break;
    const wait = await Promise.race([
      new Promise<"tick">((resolve) => setTimeout(() => resolve("tick"), STREAM_POLL_MS).unref()),
      closed,
      abortOf(signal),
    ]);
    if (wait === "abort") return;
    if (wait !== "tick") return lost(wait.error);
  }
  const consumer = await jsClient(nc).consumers.get(names.stream, {
    filter_subjects: `${names.subjectPrefix}.>`,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: after + 1,
  });
  const messages = await consumer.consume({
    max_messages: pullCountOf(options.maxBytes ?? 1024 * 1024),
    expires: 5_000,
  });
  const stop = (): void => void messages.close().catch(() => {});
  signal?.addEventListener("abort", stop, { once: true });
  let lostWith: { error: Error | void } | null = null;
  void closed.then((c) => {
    lostWith = c;
    stop();
  });
  try {
    for await (const m of messages) {
      if (signal?.aborted) break;
      stats.messages++;
      let data: LogMessage | null = null;
      try {
        data = m.json<LogMessage>();
      } catch {
        data = null;
      }
      if (!isLogMessage(data)) {
        stats.malformed++;
        continue;
      }
      const got = toEvent(data);
      if (got === null) continue;
      stats.live++;
      if (options.keepRecords) parsedRecords.set(got.event, got.record);
      yield got.event;
    }
  } finally {
    signal?.removeEventListener("abort", stop);
    await messages.close().catch(() => {});
  }
  if (signal?.aborted) return;
  const gone = lostWith ?? (nc.isClosed() ? await closed : null);
  await lost(gone?.error ?? new Error("the stream's consumer ended"));
}

function abortOf(signal: AbortSignal | undefined): Promise<"abort"> {
  return new Promise((resolve) => {
    if (!signal) return;
    if (signal.aborted) resolve("abort");
    signal.addEventListener("abort", () => resolve("abort"), { once: true });
  });
}

export function isLogMessage(data: unknown): data is LogMessage {
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

/**
 * The parse of each line a `readRelayEvents` with `keepRecords` handed out (from memory; a window
 * that spilled to disk hands out new objects, parsed again by toLogRecord), until `toLogRecord`
 * takes it.
 */
const parsedRecords = new WeakMap<RelayEvent, LogRecord>();

/** Memory a kept parse holds beside its event (measured: ~490 bytes for a 150-character line). */
function recordBytes(event: RelayEvent): number {
  return 2 * event.text.length + 200;
}

/**
 * A relay event as the `LogRecord` the local readers give (file relative to its host's catalyst
 * dir); null if its line does not parse. An event a `readRelayEvents` with `keepRecords` handed
 * out is not parsed again: its read's parse is taken (once; a second call parses anew).
 */
export function toLogRecord(event: RelayEvent): (LogRecord & { host: string }) | null {
  const known = parsedRecords.get(event);
  if (known !== undefined) {
    parsedRecords.delete(event);
    return { ...known, host: event.host };
  }
  readWork.parses++;
  const parsed = parseLogLine(event.text, event.file, event.offset);
  return parsed.ok ? { ...parsed.record, host: event.host } : null;
}
