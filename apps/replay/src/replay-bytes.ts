// The jsonl byte path of a replay (no filter, no follow): what the CommonJS start of the bin
// (fast-bin.ts) runs on its own, so it imports only what that path needs (no fuse, no schema, no
// formatter). replay.ts takes the same path.
import { accessSync, constants, statSync } from "node:fs";
import { join } from "node:path";
import { MalformedLineError, ReplayReadError } from "./errors.js";
import type { ReplayOptions } from "./parse-args.js";
import type { ReplayDeps } from "./replay-deps.js";
import {
  type ReplayIo,
  type ReplaySummary,
  readOptions,
  reportEnd,
  reportIndex,
  reportUnreadable,
  wrapReadError,
} from "./replay-io.js";

/** A local `--format jsonl` query with no filter, no follow, no snapshot, no cost: the byte path. */
export function isBytesQuery(options: ReplayOptions): boolean {
  return (
    options.format === "jsonl" &&
    !options.follow &&
    !options.snapshot &&
    !options.cost &&
    options.nats === undefined &&
    options.orchestrators === undefined &&
    options.workers === undefined &&
    options.types === undefined
  );
}

/**
 * The jsonl fast path: no filter needs parsed fields, so the lines are copied out as the original
 * bytes (sources' readEventBytes), in chunks, waiting for stdout to drain (backpressure).
 */
export async function replayBytes(
  options: ReplayOptions,
  io: ReplayIo,
  deps: Pick<ReplayDeps, "readEventBytes">,
): Promise<ReplaySummary> {
  const summary: ReplaySummary = { printed: 0, invalid: 0, oversized: 0, files: 0 };
  const chunks = deps.readEventBytes(options.dir, {
    ...(options.since ? { since: options.since } : {}),
    ...(options.until ? { until: options.until } : {}),
    ...readOptions(options, io),
  });
  try {
    for await (const chunk of chunks) {
      if (options.strict && chunks.stats.invalid + chunks.stats.oversized > 0) {
        throw new MalformedLineError(chunks.stats);
      }
      summary.printed += countLines(chunk);
      // The reader reuses a chunk's memory on its next step, so each write is waited for: that is
      // the backpressure too (a slow reader of stdout slows the log reading, memory stays flat).
      await new Promise<void>((resolve, reject) => {
        io.out.write(chunk, (error) => (error ? reject(error) : resolve()));
      });
    }
  } catch (error) {
    throw wrapReadError(error, options.dir);
  }
  summary.invalid = chunks.stats.invalid;
  if (chunks.stats.invalidReasons) summary.invalidReasons = chunks.stats.invalidReasons;
  summary.oversized = chunks.stats.oversized;
  summary.files = chunks.stats.files;
  if (options.strict && summary.invalid + summary.oversized > 0) throw new MalformedLineError(summary);
  reportIndex(chunks.stats, options, io);
  reportEnd(summary, io);
  reportUnreadable(chunks.stats, io);
  return summary;
}

function countLines(chunk: Buffer): number {
  let n = 0;
  let i = chunk.indexOf(10);
  while (i !== -1) {
    n++;
    i = chunk.indexOf(10, i + 1);
  }
  return n;
}

/** The catalyst dir must be a directory; its `events/` may be missing (an empty log), not unreadable. */
export function assertDirectory(dir: string): void {
  // Synchronous: three checks of a few microseconds each, where promise ones would be three
  // thread-pool round trips in a row before the first line (each a wait for a core on a busy box).
  // A missing --dir is almost always a typo, so it fails loudly rather than printing nothing.
  try {
    const info = statSync(dir);
    if (!info.isDirectory()) throw Object.assign(new Error("not a directory"), { code: "ENOTDIR" });
  } catch (cause) {
    throw new ReplayReadError(dir, { cause });
  }
  // No events/ is an empty log; an events/ that is a file or cannot be listed is an error, not
  // "nothing matched".
  const events = join(dir, "events");
  try {
    const info = statSync(events);
    if (!info.isDirectory()) throw Object.assign(new Error("not a directory"), { code: "ENOTDIR" });
    accessSync(events, constants.R_OK | constants.X_OK);
  } catch (cause) {
    if (errnoOf(cause) === "ENOENT") return;
    throw new ReplayReadError(events, { cause });
  }
}

function errnoOf(error: unknown): string | undefined {
  return error && typeof error === "object" && "code" in error && typeof error.code === "string"
    ? error.code
    : undefined;
}
