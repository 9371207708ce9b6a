import {
  AckPolicy,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import { type NatsConnection, nanos } from "@nats-io/transport-node";
import type { ResolvedNames } from "./names.js";
import { pullCountOf } from "./read-pace.js";
import { type PlannedRange, planIndexedRead, type StreamState } from "./read-relay-events.js";

// The central consumer's start-up history without reading the whole stream: the lines whose own
// `ts` is at or after `since`, with sequences in [first, last], found through the publishers' time
// index (per host, the sequence ranges of the window's hours plus what the index does not cover),
// and handed out in STREAM order, as a whole read would: one lane per host reads its ranges in
// order (an ephemeral filtered consumer per range), and the lanes are merged by sequence. Each
// lane holds one pull (`maxBytes` shared by the lanes, asked as a count, see pullCountOf), so memory
// stays bounded whatever the window. The lines are not filtered by `ts` here (a range also holds lines of its neighbours):
// the caller filters, exactly as it filters a whole read.

/** Where and what to read. */
export interface WindowReadOptions {
  names: ResolvedNames;
  servers: string | string[];
  /** Inclusive lower bound on each line's own `ts` (ms). */
  sinceMs: number;
  /** The stream's first sequence and the last sequence to read. */
  first: number;
  last: number;
  /** Bytes pulled at once, shared by the lanes (each gets at least 64 KiB). */
  maxBytes: number;
  /** True once the reader was stopped: the read ends early. */
  stopped: () => boolean;
}

/** What a start-up read cost. */
export interface WindowReadStats {
  /** Stream messages read. */
  messages: number;
  /** Sequence ranges read (1 for a whole read). */
  ranges: number;
  /** Read through the time index (false: the broker has none, the range was read whole). */
  indexed: boolean;
}

const MIN_LANE_BYTES = 64 * 1024;

/**
 * The stream's messages in [first, last] that may hold a line stamped at or after `sinceMs`, in
 * stream order. Without an index bucket on the broker, every message in [first, last].
 */
export async function* readWindowInStreamOrder(
  nc: NatsConnection,
  js: JetStreamClient,
  jsm: JetStreamManager,
  options: WindowReadOptions,
  stats: WindowReadStats,
): AsyncGenerator<JsMsg> {
  const { names, first, last } = options;
  if (last < first) return;
  const info = await jsm.streams.info(names.stream, { subjects_filter: `${names.subjectPrefix}.>` });
  const state: StreamState = {
    first,
    last,
    messages: info.state.messages,
    subjects: info.state.subjects ?? {},
  };
  const plan = await planIndexedRead(
    nc,
    names,
    state,
    options.sinceMs,
    Number.POSITIVE_INFINITY,
    null,
    options.servers,
  );
  const lanes = new Map<string | null, PlannedRange[]>();
  if (plan === null) lanes.set(null, [{ subject: ">", lo: first, hi: last }]);
  else {
    stats.indexed = true;
    for (const range of plan) {
      const list = lanes.get(range.subject);
      if (list) list.push(range);
      else lanes.set(range.subject, [range]);
    }
  }
  stats.ranges = plan === null ? 1 : plan.length;

  const laneBytes = Math.max(MIN_LANE_BYTES, Math.floor(options.maxBytes / Math.max(1, lanes.size)));
  const readers = [...lanes].map(([subject, ranges]) =>
    readLane(
      js,
      jsm,
      names.stream,
      subject,
      ranges.sort((a, b) => a.lo - b.lo),
      laneBytes,
      options.stopped,
      stats,
    ),
  );
  const heads: Array<{ reader: AsyncGenerator<JsMsg>; m: JsMsg }> = [];
  try {
    const firsts = await Promise.all(readers.map((r) => r.next()));
    firsts.forEach((r, i) => {
      if (!r.done) heads.push({ reader: readers[i]!, m: r.value });
    });
    while (heads.length > 0 && !options.stopped()) {
      let min = 0;
      for (let i = 1; i < heads.length; i++) if (heads[i]!.m.seq < heads[min]!.m.seq) min = i;
      const head = heads[min]!;
      yield head.m;
      const next = await head.reader.next();
      if (next.done) heads.splice(min, 1);
      else head.m = next.value;
    }
  } finally {
    await Promise.all(readers.map((r) => r.return(undefined).catch(() => {})));
  }
}

/** One host's ranges in order: an ephemeral consumer per range, filtered on the host's subjects. */
async function* readLane(
  js: JetStreamClient,
  jsm: JetStreamManager,
  stream: string,
  subject: string | null,
  ranges: readonly PlannedRange[],
  maxBytes: number,
  stopped: () => boolean,
  stats: WindowReadStats,
): AsyncGenerator<JsMsg> {
  for (const range of ranges) {
    if (stopped()) return;
    const ci = await jsm.consumers.add(stream, {
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: range.lo,
      ...(subject === null ? {} : { filter_subject: subject }),
      inactive_threshold: nanos(30_000),
      mem_storage: true,
      num_replicas: 1,
    });
    try {
      if (ci.num_pending === 0) continue;
      const messages = await js.consumers
        .getConsumerFromInfo(ci)
        .consume({ max_messages: pullCountOf(maxBytes) });
      let done = false;
      let delivered = 0;
      try {
        for await (const m of messages) {
          if (stopped()) return;
          delivered++;
          // A gap in the delivery sequence is a pull lost with the connection: reported below.
          if (m.info.deliverySequence !== delivered) break;
          if (m.seq > range.hi) {
            done = true;
            break;
          }
          stats.messages++;
          yield m;
          if (m.seq >= range.hi || m.info.pending === 0) {
            done = true;
            break;
          }
        }
      } finally {
        await messages.close().catch(() => {});
      }
      if (!done && !stopped())
        throw new Error(`the start-up read of ${subject ?? "the stream"} broke off (connection lost)`);
    } finally {
      jsm.consumers.delete(stream, ci.name).catch(() => {});
    }
  }
}
