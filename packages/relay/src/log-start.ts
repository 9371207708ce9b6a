import { type BrokerOptions, connectNats, toConnectError } from "./broker.js";
import { isStreamNotFound, jsManager, kvManager } from "./jetstream-calls.js";
import { escapeToken, unescapeToken } from "./keys.js";
import { type RelayNames, resolveNames } from "./names.js";
import { readRelayEvents } from "./read-relay-events.js";
import { HOUR_MS, metaKeyOf, parseMeta } from "./time-index.js";

/**
 * The own `ts` of the earliest line on the stream (every host's), or null when it holds none: the
 * start of the log's span (the dashboard's time scrubber). Read through the time index: each host's
 * head names the hours it has lines in, so only the earliest hour's lines are read (plus what the
 * index does not cover: lines before a host's index began or after its mark, hosts without an
 * index, read whole and filtered by their ts). Exact whatever the clocks did.
 */
export async function readLogStart(options: BrokerOptions & RelayNames): Promise<number | null> {
  const names = resolveNames(options);
  let earliestHour: number | null = null;
  const nc = await connectNats({ ...options, maxReconnectAttempts: options.maxReconnectAttempts ?? 0 });
  try {
    const jsm = await jsManager(nc, options.servers);
    let subjects: Record<string, number>;
    try {
      const info = await jsm.streams.info(names.stream, { subjects_filter: `${names.subjectPrefix}.>` });
      if (info.state.messages === 0) return null;
      subjects = info.state.subjects ?? {};
    } catch (error) {
      if (isStreamNotFound(error)) return null;
      throw error;
    }
    let indexed = true;
    try {
      await jsm.streams.info(`KV_${names.indexBucket}`);
    } catch (error) {
      if (!isStreamNotFound(error)) throw error;
      indexed = false;
    }
    if (indexed) {
      const kv = await kvManager(nc).open(names.indexBucket);
      const tokens = new Set<string>();
      for (const subject of Object.keys(subjects)) {
        const rest = subject.slice(names.subjectPrefix.length + 1).split(".");
        if (rest.length === 2) tokens.add(rest[0]!);
      }
      for (const token of tokens) {
        const host = unescapeToken(token);
        if (host === null || escapeToken(host) !== token) continue;
        const e = await kv.get(metaKeyOf(host));
        const meta = e && e.operation === "PUT" ? parseMeta(e.string()) : null;
        // A host without a head is read whole by the window below anyway.
        for (const [lo] of Object.values(meta?.blocks ?? {}))
          if (earliestHour === null || lo < earliestHour) earliestHour = lo;
      }
    }
  } catch (error) {
    throw toConnectError(error, options.servers);
  } finally {
    await nc.close().catch(() => {});
  }
  const first = async (until: Date | null): Promise<number | null> => {
    const events = readRelayEvents({
      ...options,
      maxReconnectAttempts: options.maxReconnectAttempts ?? 0,
      ...(until === null ? {} : { until }),
    });
    for await (const e of events) return e.tsMs;
    return null;
  };
  if (earliestHour === null) return first(null);
  // An hour whose lines a stream limit removed has none left: then the whole stream says.
  return (await first(new Date((earliestHour + 1) * HOUR_MS))) ?? first(null);
}
