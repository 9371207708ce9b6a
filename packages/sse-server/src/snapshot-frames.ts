import { Buffer } from "node:buffer";
import type { DeltaFeed, OrchestratorView, Snapshot } from "@catalyst/schema";
import { createOrchestratorJsonCache, snapshotJsonPieces } from "./snapshot-json.js";
import { SSE_FRAME_END, sseFrameHead } from "./sse-frame.js";

/** A feed whose snapshot can also be made a step at a time (fuse's `snapshotSteps()`). */
export interface SteppedDeltaFeed extends DeltaFeed {
  /** `snapshot()` one orchestrator a `next()`; the last returns the fleet as it was at the first. */
  snapshotSteps?(): Iterator<undefined, Snapshot, undefined>;
}

/**
 * One encoding of a snapshot, shared by the SSE hub and `/api/snapshot`: the `snapshot` frame's
 * bytes, and the JSON alone as a view into them (no copy).
 */
export interface EncodedSnapshot {
  snapshot: Snapshot;
  /** The feed's `lastId()` when the snapshot was taken: the frame's `id:`. */
  id: number;
  /** `id: <id>\nevent: snapshot\ndata: <json>\n\n`. */
  frame: Buffer<ArrayBuffer>;
  /** The JSON of the snapshot: a view of `frame`'s bytes. */
  json: Buffer<ArrayBuffer>;
  /** When it was ready (`now()`), and how long it took from the first ask. */
  at: number;
  costMs: number;
}

/** How {@link createSnapshotFrames} builds and keeps its encodings. */
export interface SnapshotFramesOptions {
  /** `/api/snapshot` while loading: the bytes are kept at least this long. @default 1_000 */
  loadingRefreshMs?: number;
  /**
   * `/api/snapshot` while loading: the bytes are also kept this many times as long as building
   * them took, so pollers cost at most about 1/costFactor of the process however large the fleet
   * (issue 26). @default 10
   */
  costFactor?: number;
  /**
   * A build gives the event loop a turn once it has worked this long (issue 26: a 10,000-worker
   * snapshot frame made in one piece held the loop for over 100 ms). @default 8
   */
  sliceMs?: number;
  now?: () => number;
  /** Gives the event loop a turn (tests may count them). @default setImmediate */
  yieldToLoop?: () => Promise<void>;
  /** The orchestrator-JSON cache ({@link createOrchestratorJsonCache}). @default a cache of its own */
  orchestratorJson?: (view: OrchestratorView) => string;
}

/** The encodings of a feed's snapshots; see {@link createSnapshotFrames}. */
export interface SnapshotFrames {
  /**
   * Calls `done` with an encoding of the feed's snapshot as of a build that was under way or
   * starts now (`fresh`: one that starts no earlier than this call). Synchronously when the build
   * finishes within its first slice (a small fleet); else after turns of the event loop.
   */
  request(done: (encoded: EncodedSnapshot | Error) => void, fresh?: boolean): void;
  /**
   * The JSON for `GET /api/snapshot`. Once loaded, of a snapshot taken no earlier than the ask;
   * while loading, the last encoding while it is `loadingRefreshMs` old and `costFactor` times as
   * old as building it took, else the one being built.
   */
  json(loading: boolean): Promise<Buffer<ArrayBuffer>>;
  /** The last encoding made, or null. */
  current(): EncodedSnapshot | null;
  /** Encodings made so far (a snapshot already encoded is not encoded again). */
  builds(): number;
  /** Turns of the event loop the builds gave back so far. */
  turns(): number;
}

/** Room a frame's buffer is given beyond the last frame's size. */
const SLACK = 64 * 1024;
const EMPTY = Buffer.alloc(0);

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

type Waiter = (encoded: EncodedSnapshot | Error) => void;

interface Job {
  seq: number;
  id: number;
  startedAt: number;
  steps: Iterator<undefined, Snapshot, undefined> | null;
  snapshot: Snapshot | null;
  pieces: Generator<string, void, undefined> | null;
  /** The frame written so far: `size` bytes of `buffer`. */
  buffer: Buffer<ArrayBuffer>;
  size: number;
  waiters: Waiter[];
}

/**
 * The snapshot frames of a feed, built in steps and shared (issue 26). A build takes the feed's
 * snapshot one orchestrator a step (`snapshotSteps()` when the feed has it) and its JSON one
 * orchestrator a piece (reusing the JSON of views seen before), with a turn of the event loop
 * after every `sliceMs` of work; it is one Buffer holding the whole SSE frame, and `/api/snapshot`
 * answers with a view of the JSON in it, so one encoding serves both, and every client connecting
 * and every answer asked for while a build is under way share it. A snapshot object already
 * encoded is not encoded again; only the last encoding is kept.
 */
export function createSnapshotFrames(
  feed: SteppedDeltaFeed,
  options: SnapshotFramesOptions = {},
): SnapshotFrames {
  const refreshMs = options.loadingRefreshMs ?? 1_000;
  const costFactor = options.costFactor ?? 10;
  const sliceMs = options.sliceMs ?? 8;
  const now = options.now ?? (() => performance.now());
  const yieldToLoop = options.yieldToLoop ?? nextTurn;
  const orchestratorJson = options.orchestratorJson ?? createOrchestratorJsonCache();
  let current: EncodedSnapshot | null = null;
  let building: Job | null = null;
  // Asked for fresh while a build was under way: they get the next one.
  let next: Waiter[] = [];
  let started = 0;
  let builds = 0;
  let turns = 0;

  // The frame is written straight into one buffer sized from the last frame (a fleet changes
  // little between two), grown when short: no chunks joined at the end, no second copy of it.
  const write = (job: Job, text: string): void => {
    const room = job.buffer.length - job.size;
    if (room < text.length * 3) {
      const need = Buffer.byteLength(text, "utf8");
      if (room < need) {
        const grown = Buffer.allocUnsafeSlow(
          Math.max(Math.ceil(job.buffer.length * 1.5), job.size + need + SLACK),
        );
        job.buffer.copy(grown, 0, 0, job.size);
        job.buffer = grown;
      }
    }
    job.size += job.buffer.write(text, job.size, "utf8");
  };

  /** One step of a build; true when it is done. */
  const step = (job: Job): boolean => {
    if (job.snapshot === null) {
      const s = job.steps!.next();
      if (!s.done) return false;
      job.snapshot = s.value;
      job.steps = null;
      // Already encoded (nothing moved since): the same bytes.
      if (current !== null && current.snapshot === job.snapshot && current.id === job.id) return true;
      job.pieces = snapshotJsonPieces(job.snapshot, orchestratorJson);
      const last = current?.frame.length ?? 0;
      job.buffer = Buffer.allocUnsafeSlow(last + Math.ceil(last / 16) + SLACK);
      write(job, sseFrameHead(job.id, "snapshot"));
      return false;
    }
    const piece = job.pieces!.next();
    if (!piece.done) {
      write(job, piece.value);
      return false;
    }
    write(job, SSE_FRAME_END);
    job.pieces = null;
    // Kept as it is unless far larger than the frame (the fleet shrank): then copied to size.
    const frame =
      job.buffer.length - job.size > Math.max(SLACK, job.size / 8)
        ? Buffer.from(job.buffer.subarray(0, job.size))
        : job.buffer.subarray(0, job.size);
    job.buffer = EMPTY;
    const headerLength = sseFrameHead(job.id, "snapshot").length;
    const end = now();
    builds += 1;
    current = {
      snapshot: job.snapshot,
      id: job.id,
      frame,
      json: frame.subarray(headerLength, frame.length - SSE_FRAME_END.length),
      at: end,
      costMs: end - job.startedAt,
    };
    return true;
  };

  const finish = (job: Job, result: EncodedSnapshot | Error): void => {
    if (building !== job) return;
    building = null;
    for (const waiter of job.waiters) waiter(result);
    // Those that asked for a fresh one meanwhile get the next build (one a waiter above may have
    // started: it began after they asked).
    const fresh = next;
    next = [];
    if (fresh.length === 0) return;
    if (building === null) start(fresh);
    else (building as Job).waiters.push(...fresh);
  };

  /** Runs a slice of the job; schedules the rest after a turn of the event loop. */
  const run = (job: Job): void => {
    const sliceStart = now();
    try {
      while (!step(job)) {
        if (now() - sliceStart >= sliceMs) {
          turns += 1;
          yieldToLoop().then(() => run(job));
          return;
        }
      }
    } catch (error) {
      finish(job, error instanceof Error ? error : new Error(String(error)));
      return;
    }
    finish(job, current!);
  };

  const start = (waiters: Waiter[]): void => {
    started += 1;
    const job: Job = {
      seq: started,
      // The snapshot's state is taken at the first step, in this same turn: its id is this one.
      id: feed.lastId(),
      startedAt: now(),
      steps: feed.snapshotSteps?.() ?? oneStep(feed),
      snapshot: null,
      pieces: null,
      buffer: EMPTY,
      size: 0,
      waiters,
    };
    building = job;
    run(job);
  };

  const request = (done: Waiter, fresh = false): void => {
    if (building === null) start([done]);
    else if (fresh) next.push(done);
    else building.waiters.push(done);
  };

  return {
    request,
    json(loading) {
      if (
        loading &&
        current !== null &&
        now() - current.at < Math.max(refreshMs, costFactor * current.costMs)
      ) {
        return Promise.resolve(current.json);
      }
      return new Promise((resolve, reject) =>
        request((encoded) => (encoded instanceof Error ? reject(encoded) : resolve(encoded.json)), !loading),
      );
    },
    current: () => current,
    builds: () => builds,
    turns: () => turns,
  };
}

/** A feed without steps: its whole snapshot at the first `next()`. */
function oneStep(feed: DeltaFeed): Iterator<undefined, Snapshot, undefined> {
  return { next: () => ({ done: true, value: feed.snapshot() }) };
}
