import type { SourceChange } from "@catalyst/schema";
import { parseLogLine } from "@catalyst/sources";
import { AckPolicy, type ConsumerMessages, DeliverPolicy } from "@nats-io/jetstream";
import type { KvWatchEntry } from "@nats-io/kv";
import type { QueuedIterator } from "@nats-io/transport-node";
import { type Broker, type BrokerOptions, openBroker } from "./broker.js";
import { parseStateKey } from "./keys.js";
import { type RelayNames, resolveNames } from "./names.js";
import type { LogMessage, StateMessage } from "./wire.js";

/** Sequences remembered against redeliveries: more than one pull (4 MiB, ~40k lines of 100 bytes). */
const MAX_HANDLED = 65_536;

/** Options of {@link createRelayConsumer}. */
export interface RelayConsumerOptions extends BrokerOptions, RelayNames {
  /** The durable consumer's name: a restarted consumer with the same name resumes after its last ack. @default "catalyst-central" */
  durable?: string;
  /** Bytes pulled at once: the consumer's buffer bound (and so its count bound). @default 4 MiB */
  maxBytes?: number;
  /** How host-local ids become fleet-wide ones. @default `${host}/${id}` */
  namespace?: (host: string, id: string) => string;
  /** A malformed message (not written by a relay publisher) is acked, skipped and reported here. */
  onError?: (error: unknown) => void;
}

/** One host's changes, with orchestrator ids and file paths namespaced by host. */
export interface HostChanges {
  host: string;
  changes: SourceChange[];
  /**
   * The stream sequence of the log line this batch carries (absent for KV changes): a reader that
   * remembers the ones it handled can drop what a restarted consumer delivers again. Not in
   * order across a restart: a line the stopped run pulled but never handled comes an ack wait later.
   */
  seq?: number;
}

export interface RelayConsumer {
  start(): Promise<void>;
  stop(): Promise<void>;
  subscribe(listener: (batch: HostChanges) => void): () => void;
  /** Hosts seen, with when (consumer clock, ms) each last sent anything. */
  hosts(): Map<string, number>;
  /** Each publishing host's last heartbeat, as the broker stamped it (ms since the epoch). */
  heartbeats(): Map<string, number>;
  /**
   * Hosts whose last heartbeat is older than `thresholdMs` (broker's stamp against `now`, so the
   * two clocks should agree within the threshold): silent or gone, not their workers dead.
   */
  staleHosts(thresholdMs: number, now?: number): string[];
  stats(): { lines: number; redeliveriesDropped: number; stateUpdates: number; malformed: number };
}

/**
 * Read every host back from JetStream: the KV bucket is watched (its current values first, then
 * every change) and the stream is consumed by a durable pull consumer with explicit acks. Each
 * message becomes the `SourceChange` the host's own watcher saw, with ids namespaced by host so
 * two hosts' orchestrator `o1` stay two orchestrators. Within one run each stream message reaches
 * the listeners once (redeliveries are dropped by stream sequence); a message is acked after the
 * listeners returned.
 */
export function createRelayConsumer(options: RelayConsumerOptions): RelayConsumer {
  const names = resolveNames(options);
  const ns = options.namespace ?? ((h: string, id: string) => `${h}/${id}`);
  const listeners = new Set<(batch: HostChanges) => void>();
  const lastSeen = new Map<string, number>();
  const beats = new Map<string, number>();
  const stats = { lines: 0, redeliveriesDropped: 0, stateUpdates: 0, malformed: 0 };
  let broker: Broker | null = null;
  let watch: QueuedIterator<KvWatchEntry> | null = null;
  let messages: ConsumerMessages | null = null;
  let loops: Promise<void>[] = [];
  // Stream sequences handled in this run (the latest MAX_HANDLED). A high-water mark is not
  // enough: a message a stopped consumer pulled but never handled comes back an ack wait later,
  // below sequences this run already handled, and must not be taken for a redelivery.
  const handled = new Set<number>();

  function emit(host: string, changes: SourceChange[], seq?: number): void {
    lastSeen.set(host, Date.now());
    const batch: HostChanges = seq === undefined ? { host, changes } : { host, changes, seq };
    for (const l of [...listeners]) {
      try {
        l(batch);
      } catch (error) {
        options.onError?.(error);
      }
    }
  }

  const file = (host: string, f: string) => `${ns(host, f)}`;

  function fromState(entry: KvWatchEntry): void {
    const change = stateChange(entry);
    if (change) emit(change.host, [change.change]);
  }

  /** The change a KV entry stands for, with its host. */
  function stateChange(entry: KvWatchEntry): { host: string; change: SourceChange } | null {
    const key = parseStateKey(entry.key);
    if (!key) {
      stats.malformed++;
      return null;
    }
    const h = key.host;
    if (key.kind === "heartbeat") {
      if (entry.operation === "PUT") beats.set(h, Math.max(beats.get(h) ?? 0, entry.created.getTime()));
      return null;
    }
    stats.stateUpdates++;
    if (entry.operation !== "PUT") {
      switch (key.kind) {
        case "orchestrator":
          return { host: h, change: { kind: "orchestrator-removed", id: ns(h, key.orchestrator) } };
        case "signal":
          return {
            host: h,
            change: {
              kind: "signal-removed",
              orchestrator: ns(h, key.orchestrator),
              key: key.key,
              file: file(h, `${key.orchestrator}/workers/${key.key}.json`),
            },
          };
        case "local-state":
          return {
            host: h,
            change: {
              kind: "local-state-removed",
              orchestrator: ns(h, key.orchestrator),
              file: file(h, key.orchestrator),
            },
          };
        case "global-state":
          return { host: h, change: { kind: "global-state-removed", file: file(h, "state.json") } };
      }
    }
    let m: StateMessage;
    try {
      m = entry.json<StateMessage>();
    } catch (error) {
      stats.malformed++;
      options.onError?.(error);
      return null;
    }
    switch (m.kind) {
      case "orchestrator":
        return {
          host: h,
          change: {
            kind: "orchestrator-added",
            orchestrator: {
              ...m.orchestrator,
              id: ns(h, m.orchestrator.id),
              path: file(h, m.orchestrator.path),
            },
          },
        };
      case "signal":
        return {
          host: h,
          change: {
            kind: "signal",
            orchestrator: ns(h, m.orchestrator),
            key: m.key,
            file: file(h, m.file),
            result: m.result,
          },
        };
      case "local-state":
        return {
          host: h,
          change: {
            kind: "local-state",
            orchestrator: ns(h, m.orchestrator),
            file: file(h, m.file),
            result: m.result,
          },
        };
      case "global-state":
        return { host: h, change: { kind: "global-state", file: file(h, m.file), result: m.result } };
      default:
        stats.malformed++;
        return null;
    }
  }

  function fromLog(data: LogMessage, seq: number): void {
    const f = file(data.host, data.file);
    const parsed = parseLogLine(data.text, f, data.offset);
    if (!parsed.ok) {
      emit(
        data.host,
        [{ kind: "log-skipped", file: f, offset: data.offset, reason: "invalid", detail: parsed.detail }],
        seq,
      );
      return;
    }
    const ev = parsed.record.event;
    const record =
      ev.orchestrator === null
        ? parsed.record
        : { ...parsed.record, event: { ...ev, orchestrator: ns(data.host, ev.orchestrator) } };
    stats.lines++;
    emit(data.host, [{ kind: "log-lines", records: [record] }], seq);
  }

  return {
    async start() {
      if (broker) return;
      broker = await openBroker(options, names);
      const durable = options.durable ?? "catalyst-central";
      try {
        await broker.jsm.consumers.info(names.stream, durable);
      } catch {
        await broker.jsm.consumers.add(names.stream, {
          durable_name: durable,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
        });
      }
      watch = await broker.kv.watch({ key: ">" });
      const consumer = await broker.js.consumers.get(names.stream, durable);
      // JetStream takes one bound per pull: bytes, which also bounds the count (a message is never empty).
      // Pulls expire after 5 s (30 s by default): a pull waiting at a cluster node that died is
      // only noticed when its heartbeats stop, and until then nothing arrives.
      messages = await consumer.consume({ max_bytes: options.maxBytes ?? 4 * 1024 * 1024, expires: 5_000 });
      const w = watch;
      const ms = messages;
      loops = [
        (async () => {
          for await (const e of w) fromState(e);
        })().catch((error) => options.onError?.(error)),
        (async () => {
          for await (const m of ms) {
            if (handled.has(m.seq)) {
              stats.redeliveriesDropped++;
              m.ack();
              continue;
            }
            handled.add(m.seq);
            if (handled.size > MAX_HANDLED) handled.delete(handled.values().next().value!);
            let data: LogMessage;
            try {
              data = m.json<LogMessage>();
              if (typeof data.host !== "string" || typeof data.text !== "string")
                throw new Error("not a relay log message");
            } catch (error) {
              stats.malformed++;
              options.onError?.(error);
              m.ack();
              continue;
            }
            fromLog(data, m.seq);
            m.ack();
          }
        })().catch((error) => options.onError?.(error)),
      ];
    },
    async stop() {
      const b = broker;
      if (!b) return;
      broker = null;
      watch?.stop();
      await messages?.close();
      await b.nc.drain().catch(() => {});
      await Promise.all(loops);
      loops = [];
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    hosts: () => new Map(lastSeen),
    heartbeats: () => new Map(beats),
    staleHosts(thresholdMs, now = Date.now()) {
      return [...beats]
        .filter(([, at]) => now - at > thresholdMs)
        .map(([h]) => h)
        .sort();
    },
    stats: () => ({ ...stats }),
  };
}
