import type { FuseInput, LogRecord, NormalizedEvent, Snapshot, SourceChange } from "@catalyst/schema";
import {
  type IndexProgress,
  type LogLayout,
  readEventBytes,
  readEvents,
  readLogLayout,
} from "@catalyst/sources/event-log";

/** Counters the log readers keep while they stream (the @catalyst/sources EventReadStats). */
export interface ReadStats {
  readonly invalid: number;
  /** `invalid` by reason (not-json, unknown-shape, no-ts, dual-mismatch, …). */
  readonly invalidReasons?: Readonly<Record<string, number>>;
  readonly oversized: number;
  readonly files: number;
  readonly bytesRead: number;
  readonly bytesIndexed?: number;
  readonly indexSaveError?: string;
  /** Log files left out because they could not be read, with the reason (the first 100). */
  readonly unreadable?: readonly { file: string; reason: string }[];
  readonly unreadableCount?: number;
}

/** What replay asks of the log readers. */
export interface ReadOptions {
  since?: Date;
  until?: Date;
  indexDir?: string;
  onProgress?: (progress: IndexProgress) => void;
  /** Also read rotated `*.legacy*` month files. */
  includeLegacy?: boolean;
}

/** The library calls replay makes; tests may pass their own for races they cannot provoke. */
export interface ReplayDeps {
  readEvents(
    catalystDir: string,
    options?: ReadOptions & { filter?: (event: NormalizedEvent) => boolean },
  ): AsyncIterable<LogRecord> & { readonly stats: ReadStats };
  /** The same lines as original bytes, in chunks of whole lines (the jsonl fast path). */
  readEventBytes(
    catalystDir: string,
    options?: ReadOptions,
  ): AsyncIterable<Buffer> & { readonly stats: ReadStats };
  createLogTailer(options: { catalystDir: string; from?: "end" | "start" }): {
    start(): Promise<void>;
    stop(): Promise<void>;
    subscribe(listener: (changes: SourceChange[]) => void): () => void;
  };
  /**
   * Fold a stream of records into the fleet at `at`, holding only the fold's state, not the
   * events: from `fold.from` (an exported fuse state, a checkpoint) when given, and handing
   * `fold.onCheckpoint` the exported state every `fold.every` lines, at a point where every
   * line with `ts <= atMs` is folded in.
   */
  foldEvents(records: AsyncIterable<LogRecord>, at: Date, fold?: FoldOptions): Promise<Snapshot>;
  /** The log's layout by its index (fold checkpoints check their validity with it). Optional. */
  readLogLayout?(catalystDir: string, options: { indexDir?: string }): Promise<LogLayout>;
  /** `--cost`: the signal and state files of the dir, as fuse inputs (@catalyst/sources' scan). */
  scanDir?(dir: string): Promise<FuseInput[]>;
}

/** Checkpoints of a fold (see `ReplayDeps.foldEvents`). */
export interface FoldOptions {
  from?: unknown;
  every?: number;
  /** Awaited before the fold goes on, so at most one checkpoint is held in memory at a time. */
  onCheckpoint?: (state: unknown, atMs: number) => void | Promise<void>;
}

const FOLD_BATCH = 512;

/** The real ones: @catalyst/sources for the log, @catalyst/fuse for time travel. */
export const defaultReplayDeps: ReplayDeps = {
  readEvents,
  readEventBytes,
  createLogTailer: (options) => {
    // The tailer's module is loaded on start(): --follow is the only mode that needs one.
    type Tailer = ReturnType<ReplayDeps["createLogTailer"]>;
    type Listener = (changes: SourceChange[]) => void;
    let tailer: Tailer | null = null;
    const listeners = new Map<Listener, (() => void) | null>();
    return {
      async start() {
        const { createLogTailer } = await import("./live-tailer.js");
        const real = createLogTailer(options);
        tailer = real;
        for (const listener of listeners.keys()) listeners.set(listener, real.subscribe(listener));
        await real.start();
      },
      async stop() {
        await tailer?.stop();
      },
      subscribe(listener) {
        listeners.set(listener, tailer ? tailer.subscribe(listener) : null);
        return () => {
          listeners.get(listener)?.();
          listeners.delete(listener);
        };
      },
    };
  },
  // Loaded only for --cost.
  scanDir: async (dir) => {
    const { scanCatalystDir } = await import("@catalyst/sources");
    return scanCatalystDir(dir);
  },
  // Loaded only for --snapshot, so a plain --since run does not pay for fuse at start-up.
  readLogLayout,
  foldEvents: async (records, at, options = {}) => {
    const { createInitialState, exportState, importState, reduce, toSnapshot } = await import(
      "@catalyst/fuse"
    );
    let state = options.from === undefined ? createInitialState() : importState(options.from);
    let batch: LogRecord[] = [];
    const fold = (): void => {
      if (batch.length === 0) return;
      state = reduce(state, { kind: "log-lines", records: batch, replayed: true }, at).state;
      batch = [];
    };
    const every = options.onCheckpoint
      ? (options.every ?? Number.POSITIVE_INFINITY)
      : Number.POSITIVE_INFINITY;
    let sinceCheckpoint = 0;
    let lastTs = Number.NEGATIVE_INFINITY;
    for await (const record of records) {
      const ts = record.event.tsMs;
      // Records come in ts order: before the first line of a later ts, every line up to lastTs is in.
      if (sinceCheckpoint >= every && ts > lastTs && Number.isFinite(lastTs)) {
        fold();
        await options.onCheckpoint?.(exportState(state), lastTs);
        sinceCheckpoint = 0;
      }
      lastTs = ts;
      sinceCheckpoint++;
      batch.push(record);
      if (batch.length >= FOLD_BATCH) fold();
    }
    if (batch.length > 0) fold();
    // One tick at `at` publishes every orchestrator, as a one-shot fold does.
    state = reduce(state, { kind: "tick" }, at).state;
    return toSnapshot(state, at);
  },
};
