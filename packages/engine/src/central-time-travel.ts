import { randomBytes } from "node:crypto";
import { readFile, rename, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  createInitialState,
  exportHostState,
  type FuseState,
  type HostStatePiece,
  mergeHostStates,
  reduce,
  stateHosts,
} from "@catalyst/fuse";
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
import { removeSupersededCaches } from "./cache-cleanup.js";
import {
  CENTRAL_CHECKPOINT_SUBDIR,
  checkpointPath,
  hashText,
  listCheckpointTimes,
  readCheckpointFile,
  readCheckpointHeader,
  removeCheckpointFile,
  removeCrashLeftTemps,
  tempPathOf,
  writeCheckpointFile,
} from "./checkpoint-file.js";
import { turn } from "./finish-fold.js";
import { thin } from "./fold-checkpoints.js";
import {
  FOLD_BATCH,
  type FoldCheckpointStore,
  type FoldLineSource,
  type FoldProgress,
  foldWith,
} from "./fold-loop.js";
import {
  addReach,
  emptyReach,
  fromJson,
  type HostReach,
  type HostReachJson,
  isReachJson,
  nodesOf,
  noteLine,
  reachCrossing,
  restrictReach,
  toJson,
} from "./host-reach.js";
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
// time, and of those only that host's piece: while the hosts' lines fold apart (fuse's
// `logLineReach`), the checkpoint is mended by folding that host's lines alone onto its piece of an
// earlier checkpoint (see centralStore). A checkpoint found valid is moved forward to the position
// of the check, so the next check starts there. Then only the window (atMs, at] is read, through
// the time index.
//
// On disk, in the cache dir (never the catalyst dir): `central-checkpoints-v3/<hash of the broker
// and stream>/<atMs>.jsonl.gz`, the form the local checkpoints have (checkpoint-file.ts: gzip JSON
// lines, streamed both ways with a turn of the event loop every few milliseconds) with this
// store's header (position, lines, a random id, which hosts' lines named each ticket and node so
// far), and beside it, once a check has moved it on,
// `<atMs>.checked.json` (`{id, position}`: the position the checkpoint was last found valid at;
// believed only with the id of the checkpoint beside it, so one written for a checkpoint since
// replaced is never).

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
  /**
   * The catalyst dir of this machine, if any: superseded cache subdirs are never removed when the
   * cache dir is (or is inside) it.
   */
  catalystDir?: string;
  /** Called before each line is folded and after each part of the final tick (progress; tests count the work between turns). */
  onProgress?: (progress: FoldProgress) => void;
  /** The snapshot one orchestrator a step, a turn of the event loop at least this often (ms; see finishFold). Absent: in one go. */
  sliceMs?: number;
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
  /** Checkpoints spoilt by some hosts' late lines and mended: those hosts' pieces folded again, the file rewritten. */
  mended: number;
  /** Lines folded to mend checkpoints (the late hosts' lines only). */
  mendFolded: number;
}

/** Every counter of `CentralFoldStats` (the service sums them over its answers). */
const FOLD_STAT_KEYS = [
  "windowMessages",
  "checkMessages",
  "indexEntries",
  "invalidated",
  "mended",
  "mendFolded",
] as const satisfies readonly (keyof CentralFoldStats)[];

function noFoldStats(): CentralFoldStats {
  return Object.fromEntries(FOLD_STAT_KEYS.map((key) => [key, 0])) as Record<
    (typeof FOLD_STAT_KEYS)[number],
    number
  >;
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

const DEFAULT_CHECKPOINT_LINES = 16_384;
const DEFAULT_MAX_CHECKPOINTS = 96;
/** A `.checked.json` is small; a bigger file is not ours. */
const MAX_CHECKED_BYTES = 64 * 1024;

/** The header line of a central checkpoint. */
interface Header {
  v: 3;
  central: true;
  atMs: number;
  /** Every line stored up to `position.last` with ts <= atMs is folded in (when written). */
  position: StreamPosition;
  /** Lines folded in (where the next checkpoint goes). */
  lines: number;
  /** This checkpoint's own id (what a `.checked.json` beside it must name). */
  id: string;
  /** Which hosts' lines named each ticket and node so far (whether the hosts' pieces fold apart). */
  reach: HostReachJson;
}

/** The checkpoint dir of one broker and stream: `<cacheDir>/central-checkpoints-v3/<hash>`. */
export function centralCheckpointDir(cacheDir: string, options: CentralTimeTravelOptions): string {
  const names = resolveNames(options);
  const servers = (Array.isArray(options.servers) ? [...options.servers] : options.servers.split(","))
    .map((s) => s.trim().replace(/\/\/[^@/]*@/, "//"))
    .sort()
    .join(",");
  return join(
    cacheDir,
    CENTRAL_CHECKPOINT_SUBDIR,
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

const headerOf =
  (t: number) =>
  (h: unknown): h is Header => {
    const v = h as Partial<Header> | null;
    return (
      v?.v === 3 &&
      v.central === true &&
      v.atMs === t &&
      isPosition(v.position) &&
      Number.isSafeInteger(v.lines) &&
      typeof v.id === "string" &&
      isReachJson(v.reach)
    );
  };

const checkedPath = (dir: string, t: number): string => join(dir, `${t}.checked.json`);

async function removeCheckpoint(dir: string, t: number): Promise<void> {
  await removeCheckpointFile(dir, t);
  await unlink(checkedPath(dir, t)).catch(() => {});
}

/** The position the checkpoint with this id was last found valid at, if a check moved it on. */
async function readChecked(dir: string, t: number, id: string): Promise<StreamPosition | null> {
  try {
    const buf = await readFile(checkedPath(dir, t));
    if (buf.length > MAX_CHECKED_BYTES) return null;
    const v = JSON.parse(buf.toString("utf8")) as { id?: unknown; position?: unknown } | null;
    return v?.id === id && isPosition(v.position) ? v.position : null;
  } catch {
    return null;
  }
}

async function writeChecked(dir: string, t: number, id: string, position: StreamPosition): Promise<void> {
  const path = checkedPath(dir, t);
  const tmp = tempPathOf(path);
  try {
    await writeFile(tmp, JSON.stringify({ id, position }));
    await rename(tmp, path);
  } catch {
    // Not moved on: the next check starts further back, and reads a little more.
    await unlink(tmp).catch(() => {});
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

/** A checkpoint found valid: its state, and the position its check read (where it is valid now). */
interface CentralStart {
  atMs: number;
  lines: number;
  state: FuseState;
  position: StreamPosition;
}

/** A checkpoint's header and what its check on the broker found. */
interface Checked {
  t: number;
  header: Header;
  /** Where the check read the stream (null: no stream). */
  position: StreamPosition | null;
  /** Hosts with lines stored late for it (empty: none); null when all are spoilt (lines removed, …). */
  lateHosts: string[] | null;
}

/** One line of the stream, namespaced as the live central has it (`<host>/<file>`, `<host>/<orchestrator>`). */
function namespaced(event: Parameters<typeof toLogRecord>[0]): { host: string; record: LogRecord } | null {
  const parsed = toLogRecord(event);
  if (parsed === null) return null;
  const { host, ...rest } = parsed;
  const ev = rest.event;
  return {
    host,
    record: {
      ...rest,
      file: `${host}/${rest.file}`,
      event: ev.orchestrator === null ? ev : { ...ev, orchestrator: `${host}/${ev.orchestrator}` },
    },
  };
}

/**
 * The checkpoint store of one stream in `dir`. `find` returns the latest checkpoint at or before
 * `atMs` that no late line has spoilt, or one spoilt only by some hosts' late lines and mended
 * (below); spoilt, torn or foreign ones met on the way are removed. It leaves in `position` where
 * the stream stood before the read that follows (the checkpoint's check, or a fresh read when none
 * is found): what the checkpoints the fold lays hold; and in `reach` the hosts' reach so far.
 *
 * Mending: a checkpoint is one piece per host (fuse's `exportHostState`). When its check finds
 * late lines of some hosts only, and the hosts' lines so far fold apart (`reachCrossing`: no
 * ticket looked up across hosts named by two, no node named by two), those hosts' pieces come
 * from the latest earlier checkpoint none of their lines spoilt (or empty ones), their lines since
 * are read alone (the index's per-host hours) and folded onto them, and the other hosts' pieces
 * come from the spoilt checkpoint: merged (`mergeHostStates`), that is the fold of every line up
 * to its time, and it is written again. Anything else (lines removed, a stream made again, pieces
 * that do not fold apart or merge) is the whole re-fold: the checkpoint is removed as before.
 */
function centralStore(
  dir: string,
  options: CentralTimeTravelOptions,
  stats: CentralFoldStats,
): FoldCheckpointStore<CentralStart> & { position: StreamPosition | null; reach: HostReach } {
  /** Read a checkpoint's header and check it on the broker; null (and removed) when torn or foreign. */
  const check = async (t: number): Promise<Checked | null> => {
    let header: Header;
    try {
      header = await readCheckpointHeader(checkpointPath(dir, t), headerOf(t));
    } catch {
      await removeCheckpoint(dir, t);
      return null;
    }
    const since = (await readChecked(dir, t, header.id)) ?? header.position;
    const found = await checkLateLines({
      ...broker(options),
      maxReconnectAttempts: 0,
      since,
      atMs: t,
      byHost: true,
    });
    stats.checkMessages += found.messages;
    stats.indexEntries += found.indexEntries;
    // Still valid up to where the check looked: the next check starts there.
    if (
      !found.late &&
      found.position !== null &&
      (found.position.last !== since.last || found.position.index?.seq !== since.index?.seq)
    )
      await writeChecked(dir, t, header.id, found.position);
    return { t, header, position: found.position, lateHosts: found.late ? (found.lateHosts ?? null) : [] };
  };

  /** The state of a checkpoint whose header is `header`; null when replaced or torn (removed). */
  const stateOf = async (t: number, header: Header): Promise<FuseState | null> => {
    try {
      const read = await readCheckpointFile(checkpointPath(dir, t), headerOf(t), (h) => h.id === header.id);
      return read === null ? null : read.state;
    } catch {
      await removeCheckpoint(dir, t);
      return null;
    }
  };

  /** Whether the last mend that failed leaves the older checkpoints worth a mend of their own. */
  let mendable = false;
  /**
   * The checkpoint `spoilt` mended (see above), with `older` the times before it (newest first);
   * null when it cannot be mended exactly.
   */
  const mend = async (spoilt: Checked, older: number[], atMs: number): Promise<CentralStart | null> => {
    mendable = false;
    const late = spoilt.lateHosts;
    if (late === null || late.length === 0 || spoilt.position === null) return null;
    const reachAt = fromJson(spoilt.header.reach);
    if (reachCrossing(reachAt) !== null) return null;
    // The work between the reads below is a pass over the fleet's ids each: a turn between them.
    await turn();
    // The late hosts' pieces: from the latest earlier checkpoint none of their lines spoilt.
    let base: { t: number; pieces: HostStatePiece[]; reach: HostReach } | null = null;
    for (const t of older) {
      const c = await check(t);
      if (c === null || c.position === null) continue;
      if (c.lateHosts === null) {
        stats.invalidated++;
        await removeCheckpoint(dir, t);
        continue;
      }
      if (c.lateHosts.some((h) => late.includes(h))) continue;
      const state = await stateOf(t, c.header);
      if (state === null) continue;
      const reach = fromJson(c.header.reach);
      // Only the late hosts' pieces are kept (they share its objects); the rest of it can go.
      base = { t, reach, pieces: late.map((h) => exportHostState(state, h, { nodes: nodesOf(reach, h) })) };
      break;
    }
    const isLate = (h: string): boolean => late.includes(h);
    let reach = base === null ? emptyReach() : restrictReach(base.reach, isLate);
    let state: FuseState | null = base === null ? createInitialState() : mergeHostStates(base.pieces);
    if (state === null) return null;
    // The late hosts' lines since, alone, folded onto their pieces.
    const events = readRelayEvents({
      ...broker(options),
      hosts: late,
      ...(base !== null ? { since: new Date(base.t + 1) } : {}),
      until: new Date(spoilt.t + 1),
      ...(options.tmpDir === undefined ? {} : { tmpDir: options.tmpDir }),
      maxReconnectAttempts: 0,
    });
    const now = new Date(atMs);
    let batch: LogRecord[] = [];
    const fold = (): void => {
      if (batch.length > 0)
        state = reduce(state!, { kind: "log-lines", records: batch, replayed: true }, now).state;
      batch = [];
    };
    try {
      for await (const event of events) {
        const line = namespaced(event);
        if (line === null) continue;
        noteLine(reach, line.host, line.record);
        batch.push(line.record);
        stats.mendFolded++;
        if (batch.length >= FOLD_BATCH) {
          fold();
          await turn();
        }
      }
    } finally {
      stats.windowMessages += events.stats.messages;
    }
    fold();
    reach = addReach(
      restrictReach(reachAt, (h) => !isLate(h)),
      reach,
    );
    if (reachCrossing(reach) !== null) return null;
    await turn();
    const atSpoilt = await stateOf(spoilt.t, spoilt.header);
    if (atSpoilt === null) {
      // Torn or replaced: not a reason the next older checkpoint cannot be mended.
      mendable = true;
      return null;
    }
    const hosts = stateHosts(atSpoilt);
    if (hosts === null || stateHosts(state) === null) return null;
    // Every host with a part: its ids, or only node heartbeats its lines carried.
    const others = new Set(hosts);
    for (const list of reachAt.nodes.values()) for (const h of list) others.add(h);
    const folded = state;
    const pieces: HostStatePiece[] = late.map((h) =>
      exportHostState(folded, h, { nodes: nodesOf(reach, h) }),
    );
    for (const h of [...others].filter((h) => !isLate(h)).sort()) {
      await turn();
      pieces.push(exportHostState(atSpoilt, h, { nodes: nodesOf(reachAt, h) }));
    }
    await turn();
    const merged = mergeHostStates(pieces);
    if (merged === null) return null;
    const header: Header = {
      v: 3,
      central: true,
      atMs: spoilt.t,
      position: spoilt.position,
      lines: spoilt.header.lines,
      id: randomBytes(8).toString("hex"),
      reach: toJson(reach),
    };
    try {
      await writeCheckpointFile(dir, spoilt.t, header, merged);
      await unlink(checkedPath(dir, spoilt.t)).catch(() => {});
      stats.mended++;
    } catch {
      // Not written: this answer is the same, the next one mends again.
    }
    store.reach = reach;
    return { atMs: spoilt.t, lines: spoilt.header.lines, state: merged, position: spoilt.position };
  };

  const store = {
    position: null as StreamPosition | null,
    reach: emptyReach(),
    every: options.checkpointLines ?? DEFAULT_CHECKPOINT_LINES,
    async find(atMs: number): Promise<CentralStart | null> {
      if (options.cacheDir !== undefined) await removeSupersededCaches(options.cacheDir, options.catalystDir);
      await removeCrashLeftTemps(dir);
      const times = (await listCheckpointTimes(dir)).filter((t) => t <= atMs);
      // A mend that failed is not tried again on the older checkpoints of this question (each
      // would read and fold as much for the same reason): they are checked as before.
      let mending = true;
      for (const [i, t] of times.entries()) {
        const c = await check(t);
        if (c === null) continue;
        if (c.position === null) {
          stats.invalidated++;
          await removeCheckpoint(dir, t);
          continue;
        }
        if (c.lateHosts === null || c.lateHosts.length > 0) {
          const mended = mending ? await mend(c, times.slice(i + 1), atMs) : null;
          if (mended !== null) {
            store.position = c.position;
            return mended;
          }
          mending = mendable;
          stats.invalidated++;
          await removeCheckpoint(dir, t);
          continue;
        }
        const state = await stateOf(t, c.header);
        // Replaced by another process since its header was read: its own check comes another time.
        if (state === null) continue;
        store.position = c.position;
        store.reach = fromJson(c.header.reach);
        return { atMs: t, lines: c.header.lines, state, position: c.position };
      }
      store.position = await readStreamPosition({ ...broker(options), maxReconnectAttempts: 0 });
      store.reach = emptyReach();
      return null;
    },
    async save(atMs: number, lines: number, state: FuseState): Promise<void> {
      if (store.position === null) return;
      const header: Header = {
        v: 3,
        central: true,
        atMs,
        position: store.position,
        lines,
        id: randomBytes(8).toString("hex"),
        reach: toJson(store.reach),
      };
      try {
        // A `.checked.json` of the checkpoint this one replaces names another id: never believed.
        await writeCheckpointFile(dir, atMs, header, state);
        const times = await listCheckpointTimes(dir);
        const max = options.maxCheckpoints ?? DEFAULT_MAX_CHECKPOINTS;
        if (times.length > max) for (const t of thin(times, max)) await removeCheckpoint(dir, t);
      } catch {
        // Not written: the answer is the same, the next one is not faster.
      }
    },
  };
  return store;
}

/**
 * The fleet of every host on the stream as its log had it at `at`: every relayed line with its own
 * ts <= at folded with @catalyst/fuse as the local `foldAt` folds a catalyst dir's log (replayed,
 * in ts order, then one tick at `at`), ids `<host>/<id>`. From the latest valid checkpoint at or
 * before `at` when `cacheDir` is given, leaving new ones every `checkpointLines` lines. Throws
 * RelayConnectError when the broker cannot be read.
 */
export async function foldCentralAt(at: Date, options: CentralTimeTravelOptions): Promise<CentralFoldResult> {
  const stats = noFoldStats();
  const store =
    options.cacheDir === undefined
      ? null
      : centralStore(centralCheckpointDir(options.cacheDir, options), options, stats);
  /** The host of each line handed to the fold. */
  const hostOf = new WeakMap<LogRecord, string>();
  const source: FoldLineSource = {
    async *read(sinceMs, atMs) {
      // Read before the window (the store's find did): a checkpoint laid by this fold holds every
      // line stored up to it. No stream yet: no line.
      const position =
        store !== null
          ? store.position
          : await readStreamPosition({ ...broker(options), maxReconnectAttempts: 0 });
      if (position === null) return;
      const events = readRelayEvents({
        ...broker(options),
        ...(sinceMs !== null ? { since: new Date(sinceMs + 1) } : {}),
        // `until` is exclusive; the fleet "at" a time includes what happened in that millisecond.
        until: new Date(atMs + 1),
        ...(options.tmpDir === undefined ? {} : { tmpDir: options.tmpDir }),
        // A question, not a live consumer: one attempt, then an error the caller reports.
        maxReconnectAttempts: 0,
      });
      try {
        for await (const event of events) {
          const line = namespaced(event);
          if (line === null) continue;
          hostOf.set(line.record, line.host);
          yield line.record;
        }
      } finally {
        stats.windowMessages += events.stats.messages;
      }
    },
  };
  const result = await foldWith(at, {
    source,
    store,
    // What each folded line names, by host, for the checkpoints this fold lays.
    ...(store === null
      ? {}
      : {
          observe: (record: LogRecord) => {
            const host = hostOf.get(record);
            if (host !== undefined) noteLine(store.reach, host, record);
          },
        }),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.sliceMs !== undefined ? { sliceMs: options.sliceMs } : {}),
  });
  return { snapshot: result.snapshot, checkpointMs: result.from?.atMs ?? null, folded: result.folded, stats };
}

/** While building an answer's snapshot, the event loop gets a turn at least this often (ms). */
const ANSWER_SLICE_MS = 10;

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
  const totals = { folds: 0, cacheHits: 0, ...noFoldStats() };
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
    // The monitor keeps serving while the snapshot is built (the fold already turns between batches).
    const result = await foldCentralAt(at, { sliceMs: ANSWER_SLICE_MS, ...options });
    totals.folds++;
    for (const key of FOLD_STAT_KEYS) totals[key] += result.stats[key];
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
