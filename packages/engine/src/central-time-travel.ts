import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { gunzip, gzip } from "node:zlib";
import { createInitialState, exportStateJson, importState, reduce, toSnapshot } from "@catalyst/fuse";
import {
  checkLateLines,
  type NatsAuth,
  type RelayNames,
  readLogStart,
  readRelayEvents,
  readStreamPosition,
  resolveNames,
  type StreamPosition,
  toLogRecord,
} from "@catalyst/relay";
import type { LogRecord, Snapshot } from "@catalyst/schema";
import { thin } from "./fold-checkpoints.js";
import { oneAtATime } from "./snapshot-at.js";
import type { HistoricalSnapshot, TimeTravel } from "./time-travel.js";

// Time travel on the central monitor (issue 25): the fleet of every host at a past moment, folded
// from the relayed log lines with their own `ts` at or before it, in the order the local fold uses
// (each line's own ts, then host, file, generation, offset: `readRelayEvents`' order), with ids
// namespaced `<host>/<id>` as the live central shows them. As locally, the log alone: no KV state
// (signal files, state.json, liveness), so the answer is what the lines say.
//
// Fold checkpoints keep it cheap on a long stream. A checkpoint is the fused state after every line
// with ts <= atMs, and the stream position read before the read that made it (relay's
// `readStreamPosition`: every line stored up to `last` is in). It stays valid while no line stored
// after that position has ts <= atMs, which relay's `checkLateLines` answers from the stream's time
// index (the hour keys written since, the current hour's new lines, the hosts' unindexed tails), so
// a host that published late or backfilled invalidates only the checkpoints at or after its lines'
// time. A checkpoint found valid is moved forward to the position of the check, so the next check
// starts there. Then only the window (atMs, at] is read, through the time index.
//
// On disk, in the cache dir (never the catalyst dir): `central-checkpoints-v1/<hash of the broker
// and stream>/<atMs>.json` (the header: position, lines, the state's id) and `<atMs>.state.gz`
// (gzip of `{"id": …, "state": fuse's exportStateJson}`); the id ties the two, so a header written
// by another process over a different state is never believed.

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** Where the stream is and how to reach it. */
export interface CentralTimeTravelOptions extends RelayNames {
  servers: string | string[];
  auth?: NatsAuth;
  connectOptions?: Record<string, unknown>;
  /** The user cache dir; absent: no checkpoint is read or written (every answer folds from the start). */
  cacheDir?: string;
  /** A checkpoint every this many lines folded. @default 16,384 */
  checkpointLines?: number;
  /** Checkpoints kept per stream; past it the ones closest to their neighbours go. @default 96 */
  maxCheckpoints?: number;
  /** Parent of the temp dir a big window spills to (never the catalyst dir). @default os.tmpdir() */
  tmpDir?: string;
}

/** What one answer cost. */
export interface CentralFoldStats {
  /** Event-stream messages read by the window's read. */
  windowMessages: number;
  /** Event-stream messages read to check checkpoints (late lines). */
  checkMessages: number;
  /** Time-index entries read to check checkpoints. */
  indexEntries: number;
  /** Checkpoints found invalid (a late line at or before their time) and removed. */
  invalidated: number;
}

/** The fleet at a time from the stream, and how it was reached. */
export interface CentralFoldResult {
  snapshot: Snapshot;
  /** The time of the checkpoint the fold started from; null from the beginning. */
  checkpointMs: number | null;
  /** Lines folded by this call (after the checkpoint). */
  folded: number;
  stats: CentralFoldStats;
}

const SUBDIR = "central-checkpoints-v1";
const FOLD_BATCH = 512;
const DEFAULT_CHECKPOINT_LINES = 16_384;
const DEFAULT_MAX_CHECKPOINTS = 96;
/** A header is small; a bigger file is not ours. */
const MAX_HEADER_BYTES = 64 * 1024;

interface Header {
  v: 1;
  atMs: number;
  /** Every line stored up to `position.last` with ts <= atMs is folded in. */
  position: StreamPosition;
  /** Lines folded in (where the next checkpoint goes). */
  lines: number;
  /** The state file's id. */
  id: string;
}

function hashText(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}

/** The checkpoint dir of one broker and stream: `<cacheDir>/central-checkpoints-v1/<hash>`. */
export function centralCheckpointDir(cacheDir: string, options: CentralTimeTravelOptions): string {
  const names = resolveNames(options);
  const servers = (Array.isArray(options.servers) ? [...options.servers] : options.servers.split(","))
    .map((s) => s.trim().replace(/\/\/[^@/]*@/, "//"))
    .sort()
    .join(",");
  return join(
    cacheDir,
    SUBDIR,
    hashText(`${servers}\0${names.stream}\0${names.subjectPrefix}\0${names.indexBucket}`),
  );
}

function isPosition(p: unknown): p is StreamPosition {
  const v = p as Partial<StreamPosition> | null;
  return (
    typeof v?.created === "string" &&
    Number.isSafeInteger(v.first) &&
    Number.isSafeInteger(v.last) &&
    Number.isSafeInteger(v.deleted) &&
    Number.isSafeInteger(v.messages) &&
    (v.index === null ||
      (typeof v.index === "object" &&
        typeof v.index?.created === "string" &&
        Number.isSafeInteger(v.index.seq)))
  );
}

function isHeader(h: unknown, t: number): h is Header {
  const v = h as Partial<Header> | null;
  return (
    v?.v === 1 &&
    v.atMs === t &&
    isPosition(v.position) &&
    Number.isSafeInteger(v.lines) &&
    typeof v.id === "string"
  );
}

/** Checkpoint times in `dir`, newest first (none when it cannot be listed). */
async function listTimes(dir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names
    .map((n) => /^(-?\d+)\.json$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .filter((t) => Number.isSafeInteger(t))
    .sort((a, b) => b - a);
}

const headerPath = (dir: string, t: number): string => join(dir, `${t}.json`);
const statePath = (dir: string, t: number): string => join(dir, `${t}.state.gz`);

async function removeCheckpoint(dir: string, t: number): Promise<void> {
  await unlink(headerPath(dir, t)).catch(() => {});
  await unlink(statePath(dir, t)).catch(() => {});
}

async function writeAtomic(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/** Best effort: a cache dir that cannot be written only costs speed. */
async function saveCheckpoint(
  dir: string,
  header: Omit<Header, "id">,
  stateJson: string,
  max: number,
): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    const id = randomBytes(8).toString("hex");
    await writeAtomic(
      statePath(dir, header.atMs),
      await gzipAsync(`{"id":${JSON.stringify(id)},"state":${stateJson}}`, { level: 1 }),
    );
    await writeAtomic(headerPath(dir, header.atMs), JSON.stringify({ ...header, id }));
    const times = await listTimes(dir);
    if (times.length > max) for (const t of thin(times, max)) await removeCheckpoint(dir, t);
  } catch {
    // Not written: the answer is the same, the next one is not faster.
  }
}

async function readHeader(dir: string, t: number): Promise<Header | null> {
  try {
    const buf = await readFile(headerPath(dir, t));
    if (buf.length > MAX_HEADER_BYTES) return null;
    const h: unknown = JSON.parse(buf.toString("utf8"));
    return isHeader(h, t) ? h : null;
  } catch {
    return null;
  }
}

async function readState(dir: string, t: number, id: string): Promise<unknown | null> {
  try {
    const v = JSON.parse((await gunzipAsync(await readFile(statePath(dir, t)))).toString("utf8")) as {
      id?: unknown;
      state?: unknown;
    };
    return v?.id === id && typeof v.state === "object" && v.state !== null ? v.state : null;
  } catch {
    return null;
  }
}

const broker = (o: CentralTimeTravelOptions) => ({
  servers: o.servers,
  ...(o.auth === undefined ? {} : { auth: o.auth }),
  ...(o.connectOptions === undefined ? {} : { connectOptions: o.connectOptions }),
  ...(o.stream === undefined ? {} : { stream: o.stream }),
  ...(o.subjectPrefix === undefined ? {} : { subjectPrefix: o.subjectPrefix }),
  ...(o.indexBucket === undefined ? {} : { indexBucket: o.indexBucket }),
});

/**
 * The latest checkpoint at or before `atMs` that no late line has spoilt, with the position its
 * check read (the position it is now valid at); spoilt or unreadable ones met on the way are removed.
 */
async function findCheckpoint(
  dir: string,
  atMs: number,
  options: CentralTimeTravelOptions,
  stats: CentralFoldStats,
): Promise<{ header: Header; state: unknown; position: StreamPosition } | null> {
  for (const t of await listTimes(dir)) {
    if (t > atMs) continue;
    const header = await readHeader(dir, t);
    if (header === null) {
      await removeCheckpoint(dir, t);
      continue;
    }
    const check = await checkLateLines({
      ...broker(options),
      maxReconnectAttempts: 0,
      since: header.position,
      atMs: t,
    });
    stats.checkMessages += check.messages;
    stats.indexEntries += check.indexEntries;
    if (check.late || check.position === null) {
      stats.invalidated++;
      await removeCheckpoint(dir, t);
      continue;
    }
    const state = await readState(dir, t, header.id);
    if (state === null) {
      await removeCheckpoint(dir, t);
      continue;
    }
    // Still valid up to where the check looked: the next check starts from there.
    if (
      check.position.last !== header.position.last ||
      check.position.index?.seq !== header.position.index?.seq
    )
      await writeAtomic(headerPath(dir, t), JSON.stringify({ ...header, position: check.position })).catch(
        () => {},
      );
    return { header, state, position: check.position };
  }
  return null;
}

/**
 * The fleet of every host on the stream as its log had it at `at`: every relayed line with its own
 * ts <= at folded with @catalyst/fuse as the local `foldAt` folds a catalyst dir's log (replayed,
 * in ts order, then one tick at `at`), ids `<host>/<id>`. From the latest valid checkpoint at or
 * before `at` when `cacheDir` is given, leaving new ones every `checkpointLines` lines. Throws
 * RelayConnectError when the broker cannot be read.
 */
export async function foldCentralAt(at: Date, options: CentralTimeTravelOptions): Promise<CentralFoldResult> {
  const stats: CentralFoldStats = { windowMessages: 0, checkMessages: 0, indexEntries: 0, invalidated: 0 };
  const dir = options.cacheDir === undefined ? null : centralCheckpointDir(options.cacheDir, options);
  const found = dir === null ? null : await findCheckpoint(dir, at.getTime(), options, stats);
  // Read before the window: a checkpoint laid by this fold holds every line stored up to it.
  const position =
    found?.position ?? (await readStreamPosition({ ...broker(options), maxReconnectAttempts: 0 }));
  let state = found ? importState(found.state, { adopt: true }) : createInitialState();
  const base = found ? { atMs: found.header.atMs, lines: found.header.lines } : null;
  let folded = 0;
  if (position !== null) {
    const events = readRelayEvents({
      ...broker(options),
      ...(base ? { since: new Date(base.atMs + 1) } : {}),
      // `until` is exclusive; the fleet "at" a time includes what happened in that millisecond.
      until: new Date(at.getTime() + 1),
      ...(options.tmpDir === undefined ? {} : { tmpDir: options.tmpDir }),
      // A question, not a live consumer: one attempt, then an error the caller reports.
      maxReconnectAttempts: 0,
    });
    const every =
      dir === null ? Number.POSITIVE_INFINITY : (options.checkpointLines ?? DEFAULT_CHECKPOINT_LINES);
    let batch: LogRecord[] = [];
    const fold = (): void => {
      if (batch.length === 0) return;
      state = reduce(state, { kind: "log-lines", records: batch, replayed: true }, at).state;
      batch = [];
    };
    let sinceCheckpoint = 0;
    let lastTs = Number.NEGATIVE_INFINITY;
    try {
      for await (const event of events) {
        const parsed = toLogRecord(event);
        if (parsed === null) continue;
        // Namespaced as the live central has it (the relay consumer's `<host>/<id>`).
        const { host, ...rest } = parsed;
        const ev = rest.event;
        const record: LogRecord = {
          ...rest,
          file: `${host}/${rest.file}`,
          event: ev.orchestrator === null ? ev : { ...ev, orchestrator: `${host}/${ev.orchestrator}` },
        };
        const ts = ev.tsMs;
        // Lines come in ts order: before the first line of a later ts, every line up to lastTs is in.
        if (dir !== null && sinceCheckpoint >= every && ts > lastTs && Number.isFinite(lastTs)) {
          fold();
          await saveCheckpoint(
            dir,
            { v: 1, atMs: lastTs, position, lines: (base?.lines ?? 0) + folded },
            exportStateJson(state),
            options.maxCheckpoints ?? DEFAULT_MAX_CHECKPOINTS,
          );
          sinceCheckpoint = 0;
        }
        lastTs = ts;
        sinceCheckpoint++;
        folded++;
        batch.push(record);
        if (batch.length >= FOLD_BATCH) fold();
      }
    } finally {
      stats.windowMessages = events.stats.messages;
    }
    fold();
  }
  // One tick at `at` publishes every orchestrator, as the local fold does.
  state = reduce(state, { kind: "tick" }, at).state;
  return { snapshot: toSnapshot(state, at), checkpointMs: base?.atMs ?? null, folded, stats };
}

/** Options of {@link createCentralTimeTravel}. */
export interface CentralTimeTravelServiceOptions extends CentralTimeTravelOptions {
  /** Answers kept while the stream does not change (default 4). */
  cached?: number;
  /** Questions waiting behind the fold in progress at most (default 8); more are refused. */
  maxWaiting?: number;
}

/** The central time-travel service: a {@link TimeTravel}, and what its answers cost so far. */
export interface CentralTimeTravel extends TimeTravel {
  /**
   * The own ts of the earliest line of every host on the stream (null: none yet), the start of the
   * log's span for the dashboard's scrubber. Read through the time index (the earliest hour's
   * lines); kept while no line stored since is earlier (checked as checkpoints are).
   */
  logStart(): Promise<Date | null>;
  /** Answers computed and served from the cache, and the stream messages read for them. */
  counts(): { folds: number; cacheHits: number } & CentralFoldStats;
}

/**
 * Time travel for the central monitor's `GET /api/snapshot?at=`: {@link foldCentralAt}, bounded as
 * the local service is: one fold at a time, a few questions waiting at most (more: TimeTravelBusyError),
 * the last few answers cached by time and the stream's position (a line stored since is a new answer).
 */
export function createCentralTimeTravel(options: CentralTimeTravelServiceOptions): CentralTimeTravel {
  const capacity = Math.max(0, options.cached ?? 4);
  const maxWaiting = Math.max(0, options.maxWaiting ?? 8);
  const cache = new Map<string, HistoricalSnapshot>();
  const totals = {
    folds: 0,
    cacheHits: 0,
    windowMessages: 0,
    checkMessages: 0,
    indexEntries: 0,
    invalidated: 0,
  };
  let start: { ms: number; position: StreamPosition } | null = null;

  const answer = async (at: Date): Promise<HistoricalSnapshot> => {
    let key: string | null = null;
    if (capacity > 0) {
      const p = await readStreamPosition({ ...broker(options), maxReconnectAttempts: 0 });
      key = `${at.getTime()}\0${p === null ? "none" : `${p.created}\0${p.first}\0${p.last}\0${p.deleted}\0${p.messages}`}`;
      const hit = cache.get(key);
      if (hit !== undefined) {
        totals.cacheHits++;
        cache.delete(key); // most recently used last
        cache.set(key, hit);
        return hit;
      }
    }
    const result = await foldCentralAt(at, options);
    totals.folds++;
    totals.windowMessages += result.stats.windowMessages;
    totals.checkMessages += result.stats.checkMessages;
    totals.indexEntries += result.stats.indexEntries;
    totals.invalidated += result.stats.invalidated;
    const value: HistoricalSnapshot = { ...result.snapshot, at: at.toISOString() };
    if (key !== null) {
      cache.set(key, value);
      while (cache.size > capacity) cache.delete(cache.keys().next().value as string);
    }
    return value;
  };

  return {
    snapshotAt: oneAtATime(maxWaiting, answer),
    counts: () => ({ ...totals }),
    async logStart() {
      const known = start;
      if (known !== null) {
        // Still the earliest unless a line stored since is stamped before it.
        const check = await checkLateLines({
          ...broker(options),
          maxReconnectAttempts: 0,
          since: known.position,
          atMs: known.ms - 1,
        });
        if (!check.late && check.position !== null) {
          start = { ms: known.ms, position: check.position };
          return new Date(known.ms);
        }
      }
      const position = await readStreamPosition({ ...broker(options), maxReconnectAttempts: 0 });
      if (position === null) return null;
      const ms = await readLogStart({ ...broker(options), maxReconnectAttempts: 0 });
      start = ms === null ? null : { ms, position };
      return ms === null ? null : new Date(ms);
    },
  };
}
