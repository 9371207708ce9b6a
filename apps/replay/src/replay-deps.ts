import type { FoldAtOptions, FoldAtResult } from "@catalyst/engine/time-travel";
import type { FuseInput, LogRecord, NormalizedEvent, SourceChange } from "@catalyst/schema";
import { type IndexProgress, readEventBytes, readEvents } from "@catalyst/sources/event-log";

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
   * The fleet at `at` from the log (`--at --snapshot`): @catalyst/engine's `foldAt`, from the
   * nearest fold checkpoint in `options.cacheDir`, leaving new ones behind.
   */
  foldAt(catalystDir: string, at: Date, options: FoldAtOptions): Promise<FoldAtResult>;
  /** Whether `cacheDir` holds a fold checkpoint of `catalystDir` at or before `at` (listed, not read). */
  hasCheckpointBefore?(cacheDir: string, catalystDir: string, at: Date): Promise<boolean>;
  /** `--cost`: the signal and state files of the dir, as fuse inputs (@catalyst/sources' scan). */
  scanDir?(dir: string): Promise<FuseInput[]>;
}

/** The real ones: @catalyst/sources for the log, @catalyst/engine's time travel for `--at --snapshot`. */
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
  foldAt: async (catalystDir, at, options) => {
    const { foldAt } = await import("@catalyst/engine/time-travel");
    return foldAt(catalystDir, at, options);
  },
  hasCheckpointBefore: async (cacheDir, catalystDir, at) => {
    const { hasCheckpointBefore } = await import("@catalyst/engine/time-travel");
    return hasCheckpointBefore(cacheDir, catalystDir, at.getTime());
  },
};
