import type { JetStreamManager } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { jsClient, kvManager, type RetryPolicy, retryJetStream } from "./jetstream-calls.js";
import { escapeToken } from "./keys.js";
import type { ResolvedNames } from "./names.js";

// The time index of the event stream: for each host and each hour of its lines' own `ts` (never the
// broker's stamp: clocks lie), the stream sequence ranges holding that hour's lines. It lives in its
// own KV bucket (`catalyst-index`), written by each host's publisher after JetStream acknowledged a
// chunk (the publish ack names the sequence) and before the publisher's cursor moves on:
//
//   <host>.<hour>   { v: 1, ranges: [[lo, hi], …] }   hour = floor(ts / 1 h), may be negative
//   <host>.=meta    { v: 1, from, mark, blocks, tops }
//
// `mark` is the host's last indexed sequence: every line of the host in [from, mark] lies in a range
// of its own hour (or is a copy of a line that does, a re-publish after the duplicate window). Lines
// before `from` (published before the host's index began) and after `mark` (published, not yet
// indexed: a publisher that died between the ack and the index write) are not indexed, so a reader
// reads them whole, filtered by the host's subjects. `blocks` maps each week of hours the host has
// lines in to the smallest and largest hour seen there, so a reader fetches only hours that can
// exist (a line stamped 2099 adds one block, not 70 years of lookups).
//
// A range is a superset: reading it with the host's subject filter may meet lines of other hours
// (a late line, a merged range), which the reader drops by their own `ts`; it never misses one.
//
// Pruned with the stream: `tops` maps each week to the highest sequence of the host's lines in it,
// so once the stream's first sequence is past a week's top (its max age, max messages or bytes, or
// a purge discarded every line of it) the week's hour keys are purged from the bucket and the week
// leaves `blocks`, but only when the week's hour keys, read then, hold no line the stream still has,
// and each key is purged only up to the revision read (a late line written meanwhile stays). A
// reader clips every range to the stream's first sequence anyway, so what is removed is only what
// could no longer match: a window read stays equal to the whole read.

export const HOUR_MS = 3_600_000;
/** Hours per block of the meta's directory: one week. */
const BLOCK_HOURS = 168;
/** Ranges kept per hour bucket; past it the two closest are merged (a wider superset). */
export const MAX_RANGES = 32;
/** The head (mark) is written at most this often when only the mark moved. */
const META_EVERY_MS = 1_000;
/** Hour buckets of one host kept in the publisher's memory. */
const CACHE_BUCKETS = 64;
/** How often the publisher looks whether the stream discarded a week of the host's lines. */
export const PRUNE_EVERY_MS = 60_000;

export const META_TOKEN = "=meta";

export type SeqRange = [number, number];

export interface IndexMeta {
  v: 1;
  /** The first sequence the host's index covers; the host's lines before it are not indexed. */
  from: number;
  /** The host's last indexed sequence. */
  mark: number;
  /** Week number (floor(hour / 168)) → [smallest, largest] hour with lines. */
  blocks: Record<string, [number, number]>;
  /**
   * Week number → the highest stream sequence of the host's lines in it (written since pruning
   * came; a week without one is looked up when pruning). Readers ignore it.
   */
  tops?: Record<string, number>;
}

export interface IndexBucket {
  v: 1;
  ranges: SeqRange[];
}

export const hourOf = (tsMs: number): number => Math.floor(tsMs / HOUR_MS);
export const blockOf = (hour: number): number => Math.floor(hour / BLOCK_HOURS);

export function indexKeyOf(host: string, hour: number): string {
  return `${escapeToken(host)}.${hour}`;
}

export function metaKeyOf(host: string): string {
  return `${escapeToken(host)}.${META_TOKEN}`;
}

/**
 * Add one sequence of a host to an hour's ranges. `prev` is the host's previous sequence (no line of
 * the host lies between it and `seq`): a range ending there is extended, so lines of one hour
 * published one after another stay one range. A sequence at or below `prev` (a copy re-published
 * with its old sequence) gets a range of its own. Past {@link MAX_RANGES} the two ranges with the
 * smallest gap are merged. Pure; returns the same array when nothing changed.
 */
export function addSeq(ranges: readonly SeqRange[], seq: number, prev: number | null): SeqRange[] {
  if (ranges.some(([lo, hi]) => lo <= seq && seq <= hi)) return ranges as SeqRange[];
  let out: SeqRange[];
  const tail = prev !== null && seq > prev ? ranges.findIndex(([, hi]) => hi === prev) : -1;
  if (tail >= 0) out = ranges.map((r, i): SeqRange => (i === tail ? [r[0], seq] : [r[0], r[1]]));
  else out = [...ranges.map((r): SeqRange => [r[0], r[1]]), [seq, seq]];
  return normaliseRanges(out);
}

/** Sorted, overlapping and touching ranges joined, at most {@link MAX_RANGES}. */
export function normaliseRanges(input: readonly SeqRange[]): SeqRange[] {
  const sorted = [...input].sort((a, b) => a[0] - b[0]);
  const out: SeqRange[] = [];
  for (const [lo, hi] of sorted) {
    const last = out.at(-1);
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  while (out.length > MAX_RANGES) {
    let best = 0;
    for (let i = 1; i < out.length - 1; i++)
      if (out[i + 1]![0] - out[i]![1] < out[best + 1]![0] - out[best]![1]) best = i;
    out.splice(best, 2, [out[best]![0], out[best + 1]![1]]);
  }
  return out;
}

export function parseBucket(text: string): IndexBucket | null {
  try {
    const v = JSON.parse(text) as IndexBucket;
    if (v?.v !== 1 || !Array.isArray(v.ranges)) return null;
    const ok = v.ranges.every(
      (r) => Array.isArray(r) && Number.isSafeInteger(r[0]) && Number.isSafeInteger(r[1]) && r[0] <= r[1],
    );
    return ok ? v : null;
  } catch {
    return null;
  }
}

export function parseMeta(text: string): IndexMeta | null {
  try {
    const v = JSON.parse(text) as IndexMeta;
    if (v?.v !== 1 || !Number.isSafeInteger(v.from) || !Number.isSafeInteger(v.mark)) return null;
    if (v.blocks === null || typeof v.blocks !== "object" || Array.isArray(v.blocks)) return null;
    for (const b of Object.values(v.blocks))
      if (!Array.isArray(b) || !Number.isSafeInteger(b[0]) || !Number.isSafeInteger(b[1])) return null;
    // Tops are a pruning hint: ones that cannot be read are dropped (the week is looked up instead).
    const tops: Record<string, number> = {};
    if (v.tops !== null && typeof v.tops === "object")
      for (const [block, top] of Object.entries(v.tops))
        if (Object.hasOwn(v.blocks, block) && Number.isSafeInteger(top)) tops[block] = top;
    return { v: 1, from: v.from, mark: v.mark, blocks: v.blocks, tops };
  } catch {
    return null;
  }
}

/** One acknowledged line: its stream sequence and its own `ts`. */
export interface IndexedLine {
  seq: number;
  tsMs: number;
}

/** What a host's publisher keeps of the index: opened at start, told each acknowledged chunk. */
export interface TimeIndexWriter {
  /**
   * Opens (creates) the bucket and reads or starts the host's meta. A failure is not final: the
   * next `note` opens it again.
   */
  open(): Promise<void>;
  /**
   * Records a chunk of acknowledged lines: each hour's ranges, then the meta (mark, blocks). Safe to
   * call again with the same lines after a failure (what was written is not written twice).
   */
  note(lines: readonly IndexedLine[]): Promise<void>;
  /** Writes the head's mark if a `note` left it for later (the publisher calls it when idle). */
  flush(): Promise<void>;
  /**
   * Removes the weeks of hour keys whose lines the stream no longer holds (its first sequence is
   * past the week's top), at most once per `pruneEveryMs` unless `force`. Resolves to how many
   * weeks went. Called by the publisher when idle, so never at the same time as `note`.
   */
  prune(force?: boolean): Promise<number>;
}

/** Options of {@link createTimeIndexWriter}. */
export interface TimeIndexWriterOptions {
  /** @default {@link PRUNE_EVERY_MS} */
  pruneEveryMs?: number;
  /** How often the head is written when only its mark moved. @default {@link META_EVERY_MS} */
  metaEveryMs?: number;
  /**
   * Tests only: awaited after a prune read a week's hour keys and before it purges them, so a
   * test can write into the week in between (the race the bounded purge is for).
   */
  beforePrunePurge?: () => Promise<void>;
  /** The broker's URLs, named (without credentials) when the bucket's creation gives up. */
  servers?: string | string[];
  /**
   * How `open()` asks again for the bucket's creation (the caller's start-up policy); the open
   * that `note()` or `prune()` does itself when `open()` failed asks once (its caller tries again
   * later), so the publisher's queue is not held. @default 4 tries
   */
  retry?: RetryPolicy;
}

/** Two heads of one host joined: the union of the weeks, the larger mark and tops. */
function joinMeta(a: IndexMeta, b: IndexMeta | null): IndexMeta {
  if (b === null) return a;
  const blocks: Record<string, [number, number]> = { ...a.blocks };
  for (const [k, r] of Object.entries(b.blocks)) {
    const x = blocks[k];
    blocks[k] = x ? [Math.min(x[0], r[0]), Math.max(x[1], r[1])] : [r[0], r[1]];
  }
  const tops: Record<string, number> = { ...a.tops };
  for (const [k, t] of Object.entries(b.tops ?? {})) tops[k] = Math.max(tops[k] ?? t, t);
  return { v: 1, from: a.from, mark: Math.max(a.mark, b.mark), blocks, tops };
}

interface Cached<T> {
  value: T;
  /** The KV revision it was read at (0: absent). */
  revision: number;
}

/**
 * The index writer of one host. Every write is a compare-and-set on the revision read: a write that
 * lost a race (a second publisher under the same host name) drops the cached value, and the retry
 * adds the same sequences to what the bucket holds now, so ranges are only ever joined.
 */
export function createTimeIndexWriter(
  broker: { nc: NatsConnection; jsm: JetStreamManager },
  names: ResolvedNames,
  host: string,
  writerOptions: TimeIndexWriterOptions = {},
): TimeIndexWriter {
  const pruneEveryMs = writerOptions.pruneEveryMs ?? PRUNE_EVERY_MS;
  const metaEveryMs = writerOptions.metaEveryMs ?? META_EVERY_MS;
  const options = writerOptions;
  let prunedAt = Number.NEGATIVE_INFINITY;
  let kv: KV | null = null;
  let meta: Cached<IndexMeta> | null = null;
  /** The host's last sequence indexed by this process (the meta's mark at start). */
  let prev: number | null = null;
  const buckets = new Map<number, Cached<IndexBucket>>();
  let metaWrittenAt = 0;
  /** A head not written yet (it is written at most once a second when only the mark moved). */
  let pendingMeta: IndexMeta | null = null;
  const metaKey = metaKeyOf(host);

  /** The meta not written yet (a new host): where this process started its index. */
  let fresh: IndexMeta | null = null;

  async function loadMeta(k: KV): Promise<Cached<IndexMeta>> {
    const e = await k.get(metaKey);
    if (e && e.operation === "PUT") {
      const value = parseMeta(e.string());
      if (value) return { value, revision: e.revision };
    }
    if (!fresh) {
      // No index for this host yet: what it published so far (an older publisher) is read whole.
      const info = await broker.jsm.streams.info(names.stream);
      const last = info.state.last_seq;
      fresh = { v: 1, from: last + 1, mark: last, blocks: {} };
    }
    return { value: fresh, revision: e?.revision ?? 0 };
  }

  async function loadBucket(k: KV, hour: number): Promise<Cached<IndexBucket>> {
    const hit = buckets.get(hour);
    if (hit) {
      buckets.delete(hour);
      buckets.set(hour, hit);
      return hit;
    }
    const e = await k.get(indexKeyOf(host, hour));
    const value = e && e.operation === "PUT" ? parseBucket(e.string()) : null;
    const got = { value: value ?? { v: 1 as const, ranges: [] }, revision: e?.revision ?? 0 };
    buckets.set(hour, got);
    while (buckets.size > CACHE_BUCKETS) buckets.delete(buckets.keys().next().value!);
    return got;
  }

  async function write<T>(k: KV, key: string, cached: Cached<T>, value: T): Promise<number> {
    const data = JSON.stringify(value);
    return cached.revision === 0 ? k.create(key, data) : k.update(key, data, cached.revision);
  }

  /**
   * The bucket made if missing and bound. Its management calls (create, info) wait as long as the
   * relay's other management requests (JETSTREAM_TIMEOUT_MS, asked again per `policy`); the
   * bound bucket writes and reads on a data-path client (DATA_TIMEOUT_MS), as `broker.js` does.
   */
  async function open(policy: RetryPolicy = writerOptions.retry ?? {}): Promise<void> {
    const servers = writerOptions.servers ?? broker.nc.getServer();
    await retryJetStream(
      `the opening of KV bucket ${names.indexBucket}`,
      servers,
      () => kvManager(broker.nc).create(names.indexBucket, { history: 1, replicas: names.replicas }),
      policy,
    );
    // Bound without a request (the creation just answered): a client of the data path.
    const k = await new Kvm(jsClient(broker.nc, { checkAPI: false })).open(names.indexBucket);
    meta = await loadMeta(k);
    prev ??= meta.value.mark;
    kv = k;
  }

  return {
    open: () => open(),
    async flush() {
      const k = kv;
      const m = meta;
      if (!k || !m || pendingMeta === null) return;
      try {
        const value = joinMeta(m.value, pendingMeta);
        const revision = await write(k, metaKey, m, value);
        meta = { value, revision };
        metaWrittenAt = Date.now();
        pendingMeta = null;
      } catch (error) {
        meta = null;
        throw error;
      }
    },
    async prune(force = false) {
      const now = Date.now();
      if (!force && now - prunedAt < pruneEveryMs) return 0;
      // Tried again after a while, not on every idle, when it fails (a user without purge rights).
      prunedAt = now;
      if (!kv) await open({ tries: 1 });
      const k = kv!;
      try {
        meta ??= await loadMeta(k);
        const m = meta;
        const base = joinMeta(m.value, pendingMeta);
        const info = await broker.jsm.streams.info(names.stream);
        // The first sequence the stream still holds (past the last one when it is empty).
        const first = info.state.messages === 0 ? info.state.last_seq + 1 : info.state.first_seq;
        const blocks = { ...base.blocks };
        const tops = { ...base.tops };
        let gone = 0;
        for (const [block, [lo, hi]] of Object.entries(base.blocks)) {
          // A week the head says the stream still holds lines of stays (no reads). A week written
          // before tops were kept has none: its hour keys decide below.
          if ((tops[block] ?? -1) >= first) continue;
          // Every hour key of the week is read, and the week goes only if none holds a line the
          // stream still has. The head can lag its hours (a publisher writes a line's hour, then
          // its head, at most once a second), so a late line written into this week since the
          // head was read is seen here and keeps the week.
          const read: Array<{ hour: number; revision: number }> = [];
          let top = 0;
          for (let hour = lo; hour <= hi; hour++) {
            const e = await k.get(indexKeyOf(host, hour));
            if (!e) continue;
            read.push({ hour, revision: e.revision });
            if (e.operation !== "PUT") continue;
            const bucket = parseBucket(e.string());
            if (bucket === null) top = Number.MAX_SAFE_INTEGER;
            for (const [, rhi] of bucket?.ranges ?? []) top = Math.max(top, rhi);
          }
          if (top >= first) {
            tops[block] = Math.max(tops[block] ?? top, top);
            continue;
          }
          // Every line of the week is gone from the stream: its hour keys go (no delete markers
          // left behind: the bucket's own stream is purged by subject), then the week. Each key
          // only up to the revision read (a purge of the subject's messages below the next
          // sequence): a line a publisher writes into the hour meanwhile is a later message of the
          // key, so it stays, and the publisher puts the week back in the head (its head write
          // then fails against this one and is made again from what the bucket holds).
          await options.beforePrunePurge?.();
          for (const { hour, revision } of read) {
            await broker.jsm.streams.purge(`KV_${names.indexBucket}`, {
              filter: `$KV.${names.indexBucket}.${indexKeyOf(host, hour)}`,
              seq: revision + 1,
            });
            buckets.delete(hour);
          }
          delete blocks[block];
          delete tops[block];
          gone++;
        }
        const changed = gone > 0 || Object.keys(tops).length !== Object.keys(base.tops ?? {}).length;
        if (changed) {
          const value: IndexMeta = { v: 1, from: base.from, mark: base.mark, blocks, tops };
          const revision = await write(k, metaKey, m, value);
          meta = { value, revision };
          metaWrittenAt = Date.now();
          pendingMeta = null;
        }
        return gone;
      } catch (error) {
        buckets.clear();
        meta = null;
        throw error;
      }
    },
    async note(lines) {
      if (lines.length === 0) return;
      if (!kv) await open({ tries: 1 });
      const k = kv!;
      const sorted = [...lines].sort((a, b) => a.seq - b.seq);
      try {
        meta ??= await loadMeta(k);
        const m = meta;
        // What an earlier chunk left unwritten counts too: a head never loses a week or a top.
        const base = joinMeta(m.value, pendingMeta);
        let p = prev;
        const touched = new Map<number, { cached: Cached<IndexBucket>; ranges: SeqRange[] }>();
        const blocks: Record<string, [number, number]> = { ...base.blocks };
        const tops: Record<string, number> = { ...base.tops };
        let mark = base.mark;
        for (const line of sorted) {
          const hour = hourOf(Number.isFinite(line.tsMs) ? line.tsMs : 0);
          let t = touched.get(hour);
          if (!t) {
            const cached = await loadBucket(k, hour);
            t = { cached, ranges: cached.value.ranges };
            touched.set(hour, t);
          }
          t.ranges = addSeq(t.ranges, line.seq, p);
          if (p === null || line.seq > p) p = line.seq;
          if (line.seq > mark) mark = line.seq;
          const block = String(blockOf(hour));
          const b = blocks[block];
          blocks[block] = b ? [Math.min(b[0], hour), Math.max(b[1], hour)] : [hour, hour];
          // A week indexed before tops were kept has none: pruning looks its top up in its hours
          // (this line's sequence alone could be below an older line's, a duplicate's ack).
          if (!b || tops[block] !== undefined) tops[block] = Math.max(tops[block] ?? line.seq, line.seq);
        }
        // The hours first, then the meta: a mark never covers a line its hour does not hold yet.
        for (const [hour, t] of touched) {
          if (t.ranges === t.cached.value.ranges) continue;
          const value: IndexBucket = { v: 1, ranges: t.ranges };
          const revision = await write(k, indexKeyOf(host, hour), t.cached, value);
          buckets.set(hour, { value, revision });
        }
        // The head moves at most once a second unless a block is new: a mark that lags only makes
        // readers read the host's last lines whole (they are after the mark), never miss one.
        const newBlock = Object.keys(blocks).some(
          (b) => m.value.blocks[b]?.[0] !== blocks[b]![0] || m.value.blocks[b]?.[1] !== blocks[b]![1],
        );
        const now = Date.now();
        const value: IndexMeta = { v: 1, from: m.value.from, mark, blocks, tops };
        if (newBlock || m.revision === 0 || now - metaWrittenAt >= metaEveryMs) {
          const revision = await write(k, metaKey, m, value);
          meta = { value, revision };
          metaWrittenAt = now;
          pendingMeta = null;
        } else pendingMeta = value;
        prev = p;
      } catch (error) {
        // Lost a race or the broker: read everything again on the retry.
        buckets.clear();
        meta = null;
        throw error;
      }
    },
  };
}

/** How many times {@link pruneHosts} tries one host's prune before it goes on to the next. */
export const PRUNE_TRIES = 3;

/** Some hosts' time index could not be pruned; the others' was (`weeks`). */
export class IndexPruneError extends Error {
  override name = "IndexPruneError";
  constructor(
    /** Weeks pruned for the hosts that did not fail. */
    readonly weeks: number,
    /** Each host that still failed after its tries, with its last error. */
    readonly failed: ReadonlyArray<{ host: string; error: unknown }>,
  ) {
    const first = failed[0]!;
    const reason = first.error instanceof Error ? first.error.message : String(first.error);
    super(
      `could not prune the time index of ${failed.length === 1 ? "host" : "hosts"} ${failed.map((f) => f.host).join(", ")} (${PRUNE_TRIES} tries; ${first.host}: ${reason}); ${weeks} ${weeks === 1 ? "week" : "weeks"} pruned for the other hosts`,
      { cause: first.error },
    );
  }
}

/**
 * Prunes the time index of several hosts (a central consumer's `pruneIndex`, for hosts whose
 * publisher is gone), each with its own writer. A host whose prune fails is tried again at once,
 * up to {@link PRUNE_TRIES} times: a publisher that came back and wrote into a week meanwhile wins
 * the head's compare-and-set, and the next try reads the head it wrote (the week is kept). A host
 * that still fails does not stop the others; resolves to the weeks pruned, or rejects with an
 * {@link IndexPruneError} naming the hosts that failed once every host was tried.
 */
export async function pruneHosts(
  hosts: readonly string[],
  writerOf: (host: string) => TimeIndexWriter,
): Promise<number> {
  let weeks = 0;
  const failed: Array<{ host: string; error: unknown }> = [];
  for (const host of hosts) {
    // One writer per host: after a failure it reads the head and hours again.
    const writer = writerOf(host);
    for (let attempt = 1; ; attempt++) {
      try {
        weeks += await writer.prune(true);
        break;
      } catch (error) {
        if (attempt < PRUNE_TRIES) continue;
        failed.push({ host, error });
        break;
      }
    }
  }
  if (failed.length > 0) throw new IndexPruneError(weeks, failed);
  return weeks;
}
