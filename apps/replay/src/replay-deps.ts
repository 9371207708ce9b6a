import type { LogRecord, NormalizedEvent, Snapshot, SourceChange } from "@catalyst/schema";
import { createLogTailer, readEvents } from "@catalyst/sources";

/** Counters `readEvents` keeps while it streams (the @catalyst/sources EventReadStats). */
export interface ReadStats {
  readonly invalid: number;
  readonly oversized: number;
  readonly files: number;
  readonly bytesRead: number;
}

/** The library calls replay makes; tests may pass their own for races they cannot provoke. */
export interface ReplayDeps {
  readEvents(
    catalystDir: string,
    options?: { since?: Date; until?: Date; filter?: (event: NormalizedEvent) => boolean },
  ): AsyncIterable<LogRecord> & { readonly stats: ReadStats };
  createLogTailer(options: { catalystDir: string; from?: "end" | "start" }): {
    start(): Promise<void>;
    stop(): Promise<void>;
    subscribe(listener: (changes: SourceChange[]) => void): () => void;
  };
  foldEvents(events: Iterable<NormalizedEvent>, at: Date): Snapshot | Promise<Snapshot>;
}

/** The real ones: @catalyst/sources for the log, @catalyst/fuse for time travel. */
export const defaultReplayDeps: ReplayDeps = {
  readEvents,
  createLogTailer,
  // Loaded only for --snapshot, so a plain --since run does not pay for fuse at start-up.
  foldEvents: async (events, at) => (await import("@catalyst/fuse")).foldEvents(events, at),
};
