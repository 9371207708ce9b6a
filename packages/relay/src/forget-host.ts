// Hosts gone for good (issue 28): their KV keys deleted, so every central monitor drops them, and
// their event-log lines and time index purged from the broker, so a forgotten host does not come
// back in `/api/events`, `catalyst-replay --nats` or a restarted central monitor's history.
import type { JetStreamManager } from "@nats-io/jetstream";
import { type Broker, type BrokerOptions, openBroker } from "./broker.js";
import { escapeToken, parseStateKey, stateKeyOf } from "./keys.js";
import { listKeys } from "./kv-keys.js";
import { type RelayNames, type ResolvedNames, resolveNames } from "./names.js";

/** A host as the broker's KV knows it. */
export interface BrokerHost {
  name: string;
  /** When its publisher last wrote its heartbeat key (the broker's stamp); null: none in the KV. */
  lastHeartbeat: Date | null;
  /** Its keys in the KV (signals, states, liveness, heartbeat). */
  keys: number;
  /**
   * Event-log lines the host could not take (invalid, oversized, unreadable), from its
   * skipped-line markers: the count since its publisher started, summed over its log files.
   */
  skipped: { lines: number; files: number };
}

/** What forgetting a host removed from the broker. */
export interface ForgottenHost {
  /** Its KV keys (signals, states, liveness, briefings, markers, heartbeat). */
  keys: number;
  /** Its event-log lines purged from the stream. */
  lines: number;
  /** Its time-index keys (hours and head) purged from the index bucket. */
  indexKeys: number;
}

/**
 * Deletes every KV key of one host, its heartbeat last (a central monitor forgets the host when
 * the heartbeat goes). Returns how many keys were deleted. The keys are listed with a bound
 * ({@link listKeys}): a broker that stops answering fails the forget, never holds it. See
 * {@link purgeHostHistory} for its lines.
 */
export async function deleteHostKeys(
  broker: Broker,
  names: ResolvedNames,
  host: string,
  servers: string | string[],
): Promise<number> {
  const keys = await listKeys(broker, names.bucket, `${escapeToken(host)}.>`, { servers });
  const kv = broker.kv;
  const beat = stateKeyOf({ kind: "heartbeat", host });
  keys.sort((a, b) => Number(a === beat) - Number(b === beat));
  for (const k of keys) await kv.delete(k);
  return keys.length;
}

/**
 * Purges one host's event-log lines from the stream (a JetStream purge filtered on the host's
 * subjects, `<prefix>.<host>.*`) and then its time-index keys (the index bucket's own stream purged
 * by subject: no delete markers left). Every other host's lines and index stay as they were, and a
 * window read stays exact (an index range never names a line of another host). A missing stream
 * or bucket counts as nothing to purge.
 */
export async function purgeHostHistory(
  broker: { jsm: JetStreamManager },
  names: ResolvedNames,
  host: string,
): Promise<{ lines: number; indexKeys: number }> {
  const token = escapeToken(host);
  const purge = async (stream: string, filter: string): Promise<number> => {
    try {
      return (await broker.jsm.streams.purge(stream, { filter })).purged;
    } catch (error) {
      if (/stream not found/i.test(String((error as Error)?.message ?? error))) return 0;
      throw error;
    }
  };
  const lines = await purge(names.stream, `${names.subjectPrefix}.${token}.*`);
  const indexKeys = await purge(`KV_${names.indexBucket}`, `$KV.${names.indexBucket}.${token}.*`);
  return { lines, indexKeys };
}

/** Every host with a key in the KV, sorted by name, with its last heartbeat. One pass over the keys. */
export async function listBrokerHosts(options: BrokerOptions & RelayNames): Promise<BrokerHost[]> {
  const names = resolveNames(options);
  const broker = await openBroker(options, names);
  try {
    const counts = new Map<string, number>();
    const markers: string[] = [];
    for (const k of await listKeys(broker, names.bucket, ">", { servers: options.servers })) {
      const parsed = parseStateKey(k);
      if (parsed) counts.set(parsed.host, (counts.get(parsed.host) ?? 0) + 1);
      if (parsed?.kind === "skipped") markers.push(k);
    }
    // One marker per log file with a skipped line: few, each read once.
    const skipped = new Map<string, { lines: number; files: number }>();
    for (const k of markers) {
      const e = await broker.kv.get(k);
      if (e?.operation !== "PUT") continue;
      let count = 1;
      try {
        const m = e.json<{ host?: unknown; count?: unknown }>();
        if (typeof m.count === "number" && Number.isSafeInteger(m.count) && m.count > 0) count = m.count;
      } catch {
        // A marker that cannot be read still says one line was skipped.
      }
      const host = parseStateKey(k)!.host;
      const s = skipped.get(host) ?? { lines: 0, files: 0 };
      skipped.set(host, { lines: s.lines + count, files: s.files + 1 });
    }
    const out: BrokerHost[] = [];
    for (const [name, keys] of counts) {
      const beat = await broker.kv.get(stateKeyOf({ kind: "heartbeat", host: name }));
      out.push({
        name,
        keys,
        lastHeartbeat: beat?.operation === "PUT" ? beat.created : null,
        skipped: skipped.get(name) ?? { lines: 0, files: 0 },
      });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } finally {
    await broker.nc.close().catch(() => {});
  }
}

/**
 * Forgets one host: its KV keys (see {@link deleteHostKeys}), then its lines and time index (see
 * {@link purgeHostHistory}); resolves to how many of each went.
 */
export async function forgetHost(
  options: BrokerOptions & RelayNames & { host: string },
): Promise<ForgottenHost> {
  const names = resolveNames(options);
  const broker = await openBroker(options, names);
  try {
    const keys = await deleteHostKeys(broker, names, options.host, options.servers);
    return { keys, ...(await purgeHostHistory(broker, names, options.host)) };
  } finally {
    await broker.nc.close().catch(() => {});
  }
}
