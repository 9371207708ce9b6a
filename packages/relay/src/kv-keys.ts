// A bounded key listing of a KV bucket (issue 28). nats.js's `kv.keys()` is a push consumer that
// ends on the broker's idle heartbeat: when a delivery or that heartbeat never comes (a broker that
// stopped answering, a CI run under load) the listing waits for ever, and so did whatever awaited
// it (a publisher's start-up re-read, a removed orchestrator, a host's forget). Here the keys are
// read the way the central's KV first load reads values: an ephemeral pull consumer on the bucket's
// stream (last value per key, headers only), pulled by count, its end known from the pending count
// the broker gives with each message. A listing that gets no answer for `idleMs` is dropped and
// asked again, and after `tries` it fails with one line naming the broker and the listing.
import {
  AckPolicy,
  type ConsumerInfo,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import { type NatsConnection, nanos } from "@nats-io/transport-node";
import { jsClient, type RetryPolicy, retryJetStream } from "./jetstream-calls.js";

/** How long a key listing may go without an answer before it is asked again. */
export const KEY_LISTING_IDLE_MS = 10_000;

/** Keys asked per pull: a count bound (see `pullCountOf`); headers only, so a few bytes each. */
const KEYS_PULL = 10_000;

/** Options of {@link listKeys}. */
export interface KeyListingOptions {
  /** The broker's URLs, named (without credentials) when the listing gives up. */
  servers: string | string[];
  /** No answer (the consumer's creation, or the next key) for this long: dropped, asked again. @default {@link KEY_LISTING_IDLE_MS} */
  idleMs?: number;
  /** Tries in all (the first included), 0.5 s apart, doubling. @default 3 */
  tries?: number;
  /** True once the caller stopped: no more tries. */
  stopped?: () => boolean;
  /** Keys asked per pull. @default 10,000 */
  pull?: number;
}

/** One wait of a listing that got no answer in time (a transient error: asked again). */
class ListingTimeout extends Error {
  override name = "TimeoutError";
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ListingTimeout(`no answer to ${what} for ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * Every key of `bucket` under `filter` (a KV key pattern, `>` for all) whose last value is not a
 * deletion, in the bucket's stream order of their last writes. Bounded: each step waits at most
 * `idleMs` for an answer, the listing is asked again up to `tries` times, then it rejects with a
 * `RelayConnectError` (`problem: "timeout"`) naming the broker and the listing.
 */
export function listKeys(
  broker: { nc: NatsConnection; jsm: JetStreamManager },
  bucket: string,
  filter: string,
  options: KeyListingOptions,
): Promise<string[]> {
  const idleMs = options.idleMs ?? KEY_LISTING_IDLE_MS;
  const policy: RetryPolicy = {
    tries: options.tries ?? 3,
    delayMs: 500,
    ...(options.stopped === undefined ? {} : { stopped: options.stopped }),
  };
  return retryJetStream(
    `a key listing of KV bucket ${bucket} (${filter})`,
    options.servers,
    () => listOnce(broker, bucket, filter, idleMs, options.pull ?? KEYS_PULL),
    policy,
  );
}

async function listOnce(
  broker: { nc: NatsConnection; jsm: JetStreamManager },
  bucket: string,
  filter: string,
  idleMs: number,
  pull: number,
): Promise<string[]> {
  const stream = `KV_${bucket}`;
  const prefix = `$KV.${bucket}.`;
  const adding = broker.jsm.consumers.add(stream, {
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.LastPerSubject,
    filter_subject: `${prefix}${filter}`,
    headers_only: true,
    inactive_threshold: nanos(30_000),
    mem_storage: true,
    num_replicas: 1,
  });
  let gaveUp = false;
  // A creation answered after the wait gave up: its consumer goes (it would expire anyway).
  adding.then(
    (info) => {
      if (gaveUp) broker.jsm.consumers.delete(stream, info.name).catch(() => {});
    },
    () => {},
  );
  const ci = await within(adding, idleMs, `the creation of a consumer on ${stream}`).catch((error) => {
    gaveUp = true;
    throw error;
  });
  try {
    return await readKeys(broker.nc, ci, stream, prefix, idleMs, pull);
  } finally {
    broker.jsm.consumers.delete(stream, ci.name).catch(() => {});
  }
}

async function readKeys(
  nc: NatsConnection,
  ci: ConsumerInfo,
  stream: string,
  prefix: string,
  idleMs: number,
  pull: number,
): Promise<string[]> {
  const keys: string[] = [];
  if (ci.num_pending === 0) return keys;
  const consumer = jsClient(nc, { checkAPI: false }).consumers.getConsumerFromInfo(ci);
  const messages: ConsumerMessages = await within(
    consumer.consume({ max_messages: pull }),
    idleMs,
    `a pull of ${stream}`,
  );
  const it = messages[Symbol.asyncIterator]();
  try {
    for (let delivered = 1; ; delivered++) {
      const next: IteratorResult<JsMsg> = await within(it.next(), idleMs, `a pull of ${stream}`);
      if (next.done) throw new ListingTimeout(`the key listing of ${stream} broke off`);
      const m = next.value;
      // A gap in the delivery sequence is a pull lost with the connection: asked again, whole.
      if (m.info.deliverySequence !== delivered)
        throw new ListingTimeout(`the key listing of ${stream} lost a pull`);
      const op = m.headers?.get("KV-Operation");
      if (op !== "DEL" && op !== "PURGE" && m.subject.startsWith(prefix))
        keys.push(m.subject.slice(prefix.length));
      if (m.info.pending === 0) return keys;
    }
  } finally {
    // Not awaited: a broker that stopped answering would hold the close too.
    messages.stop();
    messages.close().catch(() => {});
  }
}
