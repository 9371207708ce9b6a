import type { OrchestratorView, Snapshot } from "@catalyst/schema";
import { createOrchestratorJsonCache, snapshotJsonPieces } from "./snapshot-json.js";

/** How `/api/snapshot` keeps its bytes; see {@link createSnapshotBytes}. */
export interface SnapshotBytesOptions {
  /** While loading, the bytes are kept at least this long. @default 1_000 */
  loadingRefreshMs?: number;
  /**
   * While loading, the bytes are also kept this many times as long as building them took, so
   * answering pollers costs at most about 1/costFactor of the process however large the fleet
   * (at 10,000 workers one build is a few hundred ms, and a 1 s refresh spent a sixth of a start-up
   * on them, issue 26). @default 10
   */
  costFactor?: number;
  /**
   * A build gives the event loop a turn once it has worked this long (issue 26: the JSON of a
   * 10,000-worker snapshot made in one piece held the loop for over 100 ms). @default 8
   */
  sliceMs?: number;
  /** Text gathered before it is encoded into one chunk of the answer. @default 256 KiB */
  chunkChars?: number;
  now?: () => number;
  /** Gives the event loop a turn (tests may count them). @default setImmediate */
  yieldToLoop?: () => Promise<void>;
  /** The orchestrator-JSON cache, shared with the SSE hub's snapshot frames. @default a cache of its own */
  orchestratorJson?: (view: OrchestratorView) => string;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The encoded JSON of the current snapshot, built once per snapshot object (many pollers share the
 * bytes; an answer asked for while a build of the same snapshot is under way waits for it). A
 * build is made a share at a time with turns of the event loop in between, and reuses the JSON of
 * every orchestrator view it saw before (fuse hands out the same view while an orchestrator is
 * unchanged). While the monitor loads, the fleet changes with nearly every slice it applies, so the
 * bytes last built (or being built) are served until they are `loadingRefreshMs` old and
 * `costFactor` times as old as building them took; once loaded every change is served at once.
 */
export function createSnapshotBytes(options: SnapshotBytesOptions = {}) {
  const refreshMs = options.loadingRefreshMs ?? 1_000;
  const costFactor = options.costFactor ?? 10;
  const sliceMs = options.sliceMs ?? 8;
  const chunkChars = options.chunkChars ?? 256 * 1024;
  const now = options.now ?? (() => performance.now());
  const yieldToLoop = options.yieldToLoop ?? nextTurn;
  const encoder = new TextEncoder();
  const orchestratorJson = options.orchestratorJson ?? createOrchestratorJsonCache();
  type Built = {
    snapshot: Snapshot;
    bytes: Uint8Array<ArrayBuffer>;
    at: number;
    costMs: number;
    seq: number;
  };
  let built: Built | null = null;
  let building: { snapshot: Snapshot; done: Promise<Uint8Array<ArrayBuffer>> } | null = null;
  let builds = 0;
  let turns = 0;
  let seq = 0;

  const build = async (snapshot: Snapshot, startedAt: number): Promise<Uint8Array<ArrayBuffer>> => {
    const mine = ++seq;
    const chunks: Uint8Array[] = [];
    let size = 0;
    let text = "";
    let sliceStart = now();
    const pieces = snapshotJsonPieces(snapshot, orchestratorJson);
    for (let piece = pieces.next(); !piece.done; piece = pieces.next()) {
      text += piece.value;
      if (text.length >= chunkChars) {
        const chunk = encoder.encode(text);
        chunks.push(chunk);
        size += chunk.length;
        text = "";
      }
      if (now() - sliceStart >= sliceMs) {
        turns += 1;
        await yieldToLoop();
        sliceStart = now();
      }
    }
    const last = encoder.encode(text);
    chunks.push(last);
    size += last.length;
    const bytes = new Uint8Array(size);
    let at = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, at);
      at += chunk.length;
    }
    builds += 1;
    // Kept from when it is ready, for as long as it took from the first ask: on a busy machine a
    // build waits longer between its shares, and is then kept longer (as one made in one piece was).
    const end = now();
    const costMs = end - startedAt;
    // Two builds may overlap (a newer snapshot asked for meanwhile): the later one's bytes stand.
    if (built === null || built.seq < mine) built = { snapshot, bytes, at: end, costMs, seq: mine };
    return bytes;
  };

  return {
    /**
     * The bytes to answer with; `snapshot` is called only when they may be rebuilt (it may hand
     * the snapshot out later, e.g. made in slices by `createSlicedSnapshot`).
     */
    async get(
      snapshot: () => Snapshot | Promise<Snapshot>,
      loading: boolean,
    ): Promise<Uint8Array<ArrayBuffer>> {
      const started = now();
      if (loading && built !== null && started - built.at < Math.max(refreshMs, costFactor * built.costMs))
        return built.bytes;
      // While loading, a build under way is as fresh as a new one would be.
      if (loading && building !== null) return building.done;
      const current = await snapshot();
      if (built?.snapshot === current) return built.bytes;
      if (building?.snapshot === current) return building.done;
      const job = { snapshot: current, done: build(current, started) };
      building = job;
      try {
        return await job.done;
      } finally {
        if (building === job) building = null;
      }
    },
    /** Encodings so far (for tests: work, not time). */
    builds: () => builds,
    /** Turns of the event loop the builds gave back so far (for tests). */
    turns: () => turns,
  };
}
