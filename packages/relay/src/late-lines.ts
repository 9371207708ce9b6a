import { parseLogLine } from "@catalyst/sources";
import { DeliverPolicy, type JetStreamManager, type StreamInfo } from "@nats-io/jetstream";
import { type BrokerOptions, connectNats, toConnectError } from "./broker.js";
import { isStreamNotFound, jsClient, jsManager, kvManager } from "./jetstream-calls.js";
import { escapeToken, unescapeToken } from "./keys.js";
import { type RelayNames, resolveNames } from "./names.js";
import { emptyRelayEventStats, isLogMessage, type PlannedRange, readRange } from "./read-relay-events.js";
import { hourOf, type IndexMeta, metaKeyOf, normaliseRanges, parseBucket, parseMeta } from "./time-index.js";

// What a fold of the stream "up to a time" needs to stay exact across calls (issue 25, the central
// monitor's time travel): where the stream stood when it was read, and, later, whether any line
// stored since then has its own `ts` at or before that time (a host that published late, a backfill,
// a clock far behind). The time index answers that without reading the stream: the index bucket is
// itself a stream whose messages after a sequence are the hour keys written since, so only the hours
// that gained lines since are looked at, and only the current hour's new lines and each host's
// unindexed tail are read (filtered on the host's subjects).

/** Where the event stream stood (see {@link readStreamPosition}). */
export interface StreamPosition {
  /** The stream's creation time: a stream deleted and made again is another stream. */
  created: string;
  /** First sequence: a limit or a hand that removes lines moves it. */
  first: number;
  /** Last sequence: every line stored later has a higher one. */
  last: number;
  /** Messages deleted in the middle (by hand, or a host's lines purged when it was forgotten). */
  deleted: number;
  /** Messages held: with `last`, says whether any was removed since (each one stored takes the next sequence). */
  messages: number;
  /** The index bucket's stream (creation time, last sequence), read before `last`; null when there is no index. */
  index: { created: string; seq: number } | null;
}

/** What {@link checkLateLines} found. */
export interface LateLineCheck {
  /** Where the stream is now, read before the check; null when there is no stream. */
  position: StreamPosition | null;
  /**
   * A line stored after `since.last` has its own `ts` at or before `atMs`, or lines were removed or
   * the stream made again: a fold of the lines up to `atMs` made at `since` is no longer the whole.
   */
  late: boolean;
  /** Why it is late, in words (tests, logs). */
  reason: string | null;
  /**
   * With `byHost`: the hosts with a line stored late (sorted; empty when none), or null when the
   * lateness is not any one host's (lines removed, the stream or its index made again, an index
   * key that names no host). Without `byHost`: absent.
   */
  lateHosts?: string[] | null;
  /** Event-stream messages read. */
  messages: number;
  /** Index entries read (hour keys written since `since`). */
  indexEntries: number;
}

type Options = BrokerOptions & RelayNames;

/** Index lookups in flight at once. */
const LOOKUPS_IN_FLIGHT = 64;

async function infoOrNull(
  jsm: JetStreamManager,
  stream: string,
  subjects?: string,
): Promise<StreamInfo | null> {
  try {
    return await jsm.streams.info(stream, subjects === undefined ? undefined : { subjects_filter: subjects });
  } catch (error) {
    if (isStreamNotFound(error)) return null;
    throw error;
  }
}

async function positionOf(
  jsm: JetStreamManager,
  names: ReturnType<typeof resolveNames>,
  subjects: boolean,
): Promise<{ position: StreamPosition; info: StreamInfo } | null> {
  // The index first: an index write for a line stored after `last` comes after this sequence.
  const index = await infoOrNull(jsm, `KV_${names.indexBucket}`);
  const info = await infoOrNull(jsm, names.stream, subjects ? `${names.subjectPrefix}.>` : undefined);
  if (info === null) return null;
  return {
    info,
    position: {
      created: info.created,
      first: info.state.first_seq,
      last: info.state.last_seq,
      deleted: info.state.num_deleted ?? 0,
      messages: info.state.messages,
      index: index === null ? null : { created: index.created, seq: index.state.last_seq },
    },
  };
}

/**
 * Where the event stream stands now (null: no stream yet). Read it before reading the stream: a
 * fold made from that read holds every line up to `last`, and {@link checkLateLines} later says
 * whether a line stored after it belongs before a given time.
 */
export async function readStreamPosition(options: Options): Promise<StreamPosition | null> {
  const names = resolveNames(options);
  const nc = await connectNats({ ...options, maxReconnectAttempts: options.maxReconnectAttempts ?? 0 });
  try {
    const jsm = await jsManager(nc, options.servers);
    return (await positionOf(jsm, names, false))?.position ?? null;
  } catch (error) {
    throw toConnectError(error, options.servers);
  } finally {
    await nc.close().catch(() => {});
  }
}

/**
 * Whether any line stored on the stream after `since` (a {@link StreamPosition} read before an
 * earlier read) has its own `ts` at or before `atMs`. Exact: it reads the index entries written
 * since `since.index` (an hour before `atMs`'s that gained a sequence after `since.last` is a late
 * line; `atMs`'s own hour's new sequences are read and their `ts` compared), and each host's lines
 * after `since.last` that its index does not cover (before its `from`, after its `mark`, a host
 * without an index) are read whole. Lines removed from the stream, a stream made again, or an index
 * bucket made again count as late. Cost: the hour keys written since, plus the current hour's new
 * lines and the unindexed tails; nothing when the stream did not grow.
 */
export async function checkLateLines(
  options: Options & { since: StreamPosition; atMs: number; byHost?: boolean },
): Promise<LateLineCheck> {
  const names = resolveNames(options);
  const { since, atMs } = options;
  const byHost = options.byHost === true;
  /** With byHost: the hosts found late so far. */
  const lateHosts = new Set<string>();
  const nc = await connectNats({ ...options, maxReconnectAttempts: options.maxReconnectAttempts ?? 0 });
  const stats = emptyRelayEventStats(true);
  let indexEntries = 0;
  let position: StreamPosition | null = null;
  const answer = (late: boolean, reason: string | null, hostsKnown = false): LateLineCheck => ({
    position,
    late,
    reason,
    messages: stats.messages,
    indexEntries,
    ...(byHost ? { lateHosts: !late || hostsKnown ? [...lateHosts].sort() : null } : {}),
  });
  try {
    const jsm = await jsManager(nc, options.servers);
    const now = await positionOf(jsm, names, true);
    if (now === null) return answer(true, "the stream is gone");
    position = now.position;
    if (position.created !== since.created) return answer(true, "the stream was made again");
    if (position.last < since.last) return answer(true, "the stream went back");
    // Lines only ever arrive with new sequences: fewer held than that means some were removed (a
    // limit, a purge, a forgotten host), and a fold that had them is not the whole any more.
    const removed =
      since.messages + (position.last - since.last) > position.messages ||
      (since.last >= since.first && position.first > since.first) ||
      position.deleted !== since.deleted;
    if (removed) return answer(true, "lines were removed from the stream");
    if (position.last === since.last) return answer(false, null);

    const lo = since.last + 1;
    const hi = position.last;
    const atHour = hourOf(atMs);
    const toRead: PlannedRange[] = [];
    const tokens = new Set<string>();
    for (const subject of Object.keys(now.info.state.subjects ?? {})) {
      const rest = subject.slice(names.subjectPrefix.length + 1).split(".");
      if (rest.length === 2) tokens.add(rest[0]!);
      else toRead.push({ subject, lo, hi });
    }
    /** Hosts read whole after `since.last`: no index, or one that cannot be trusted. */
    const whole = new Set<string>();
    const metas = new Map<string, IndexMeta>();
    const candidates = new Map<string, [number, number][]>();
    const index = position.index;
    const indexUsable =
      index !== null &&
      since.index !== null &&
      since.index.created === index.created &&
      since.index.seq <= index.seq;
    if (!indexUsable) for (const t of tokens) whole.add(t);
    else {
      const kv = await kvManager(nc).open(names.indexBucket);
      // Each host's head before the hours: a mark read here covers lines whose hours were written before it.
      const list = [...tokens];
      for (let i = 0; i < list.length; i += LOOKUPS_IN_FLIGHT) {
        await Promise.all(
          list.slice(i, i + LOOKUPS_IN_FLIGHT).map(async (token) => {
            const host = unescapeToken(token);
            if (host === null || escapeToken(host) !== token) {
              whole.add(token);
              return;
            }
            const e = await kv.get(metaKeyOf(host));
            const meta = e && e.operation === "PUT" ? parseMeta(e.string()) : null;
            if (meta === null) whole.add(token);
            else metas.set(token, meta);
          }),
        );
      }
      const bucketStream = `KV_${names.indexBucket}`;
      const kvLast = (await jsm.streams.info(bucketStream)).state.last_seq;
      const from = since.index!.seq + 1;
      if (from <= kvLast) {
        const prefix = `$KV.${names.indexBucket}.`;
        const consumer = await jsClient(nc).consumers.get(bucketStream, {
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: from,
        });
        const messages = await consumer.consume({ max_bytes: 1024 * 1024 });
        let done = false;
        try {
          for await (const m of messages) {
            indexEntries++;
            const key = m.subject.startsWith(prefix) ? m.subject.slice(prefix.length) : "";
            const dot = key.indexOf(".");
            const token = key.slice(0, dot);
            const hourToken = key.slice(dot + 1);
            const op = m.headers?.get("KV-Operation") ?? "";
            if (dot > 0 && hourToken !== "=meta") {
              const hour = Number(hourToken);
              const ranges = op === "" || op === "PUT" ? parseBucket(m.string())?.ranges : undefined;
              if (ranges === undefined || !Number.isSafeInteger(hour)) whole.add(token);
              else if (hour <= atHour) {
                for (const [rlo, rhi] of ranges) {
                  if (rhi < lo) continue;
                  // A range's ends are sequences of that hour's lines: one after `since` in an
                  // earlier hour is a line stamped before atMs, stored late.
                  if (hour < atHour) {
                    const host = unescapeToken(token);
                    if (byHost && host !== null) {
                      lateHosts.add(host);
                      break;
                    }
                    done = true;
                    return answer(
                      true,
                      `a line of ${unescapeToken(token) ?? token} stamped before ${new Date(atMs).toISOString()} was stored after the fold`,
                    );
                  }
                  const list = candidates.get(token) ?? [];
                  list.push([Math.max(rlo, lo), Math.min(rhi, hi)]);
                  candidates.set(token, list);
                }
              }
            }
            if (m.seq >= kvLast || m.info.pending === 0) {
              done = true;
              break;
            }
          }
        } finally {
          await messages.close().catch(() => {});
        }
        if (!done) throw new Error("the read of the time index broke off (connection lost)");
      }
    }
    for (const token of tokens) {
      const tokenHost = unescapeToken(token);
      if (tokenHost !== null && lateHosts.has(tokenHost)) continue;
      const subject = `${names.subjectPrefix}.${token}.*`;
      const ranges: [number, number][] = [];
      const meta = metas.get(token);
      if (whole.has(token) || meta === undefined) ranges.push([lo, hi]);
      else {
        if (meta.from > lo) ranges.push([lo, Math.min(hi, meta.from - 1)]);
        if (meta.mark < hi) ranges.push([Math.max(lo, meta.mark + 1), hi]);
        ranges.push(...(candidates.get(token) ?? []));
      }
      for (const [a, b] of normaliseRanges(ranges.filter(([a, b]) => a <= b)))
        toRead.push({ subject, lo: a, hi: b });
    }
    stats.ranges = toRead.length;
    let stop = new AbortController();
    let found: string | null = null;
    const onMessage = async (data: unknown): Promise<void> => {
      if (found !== null || !isLogMessage(data) || lateHosts.has(data.host)) return;
      const parsed = parseLogLine(data.text, data.file, data.offset);
      if (parsed.ok && parsed.record.event.tsMs <= atMs) {
        const what = `a line of ${data.host} stamped ${new Date(parsed.record.event.tsMs).toISOString()} was stored after the fold`;
        if (byHost) {
          // This host is late; its other lines need no reading, the other hosts' still do.
          lateHosts.add(data.host);
          if (data.host === unescapeToken(range.subject.slice(names.subjectPrefix.length + 1).split(".")[0]!))
            stop.abort();
        } else {
          found = what;
          stop.abort();
        }
      }
    };
    const jsmRead = await jsManager(nc, options.servers);
    let range: PlannedRange = toRead[0]!;
    for (range of toRead) {
      if (found !== null) break;
      const token = range.subject.slice(names.subjectPrefix.length + 1).split(".")[0]!;
      const host = unescapeToken(token);
      if (host !== null && lateHosts.has(host)) continue;
      if (stop.signal.aborted) stop = new AbortController();
      await readRange(
        nc,
        jsmRead,
        names.stream,
        range,
        { servers: options.servers, signal: stop.signal },
        stats,
        onMessage,
      );
    }
    if (byHost)
      return lateHosts.size === 0
        ? answer(false, null)
        : answer(true, `late lines of ${[...lateHosts].sort().join(", ")}`, true);
    return found === null ? answer(false, null) : answer(true, found);
  } catch (error) {
    throw toConnectError(error, options.servers);
  } finally {
    await nc.close().catch(() => {});
  }
}
