import type { FoldAtStats } from "@catalyst/engine/time-travel";
import type { Snapshot } from "@catalyst/schema";
import { createPaint, shouldUseColour } from "./colour.js";
import { MalformedLineError } from "./errors.js";
import { buildEventFilter } from "./event-filter.js";
import { formatSnapshot } from "./format-snapshot.js";
import { createOutputBuffer } from "./output-buffer.js";
import type { ReplayOptions } from "./parse-args.js";
import type { ReplayDeps } from "./replay-deps.js";
import {
  type ReplayIo,
  type ReplaySummary,
  readOptions,
  reportIndex,
  reportUnreadable,
  skippedMessage,
  wrapReadError,
} from "./replay-io.js";
import { writeJson } from "./write-json.js";

/**
 * `--at <ts> --snapshot`: fold every event up to and including `at` (@catalyst/engine's time travel) and
 * print the fleet as it was then. `--orchestrator` and `--worker` narrow what is printed.
 */
export async function printSnapshot(
  options: ReplayOptions,
  io: ReplayIo,
  deps: ReplayDeps,
): Promise<ReplaySummary> {
  const at = options.at as Date;
  const filter = buildEventFilter({
    ...(options.orchestrators ? { orchestrators: options.orchestrators } : {}),
  });
  // Folded by @catalyst/engine from the latest valid fold checkpoint at or before `at` in the
  // cache dir, leaving new ones behind (only for the whole fleet: a filtered fold is another state).
  const { onProgress, indexDir, includeLegacy } = readOptions(options, io);
  let folded: Snapshot;
  let stats: FoldAtStats;
  try {
    // A fold from a checkpoint is short and keeps what it builds: the bin sizes the heap for that.
    if (
      io.tuneHeapForShortFold &&
      indexDir !== undefined &&
      !filter &&
      (await deps.hasCheckpointBefore?.(indexDir, options.dir, at))
    )
      await io.tuneHeapForShortFold();
    const result = await deps.foldAt(options.dir, at, {
      ...(indexDir !== undefined ? { cacheDir: indexDir } : {}),
      ...(includeLegacy ? { includeLegacy } : {}),
      onProgress,
      ...(filter ? { filter } : {}),
      // CATALYST_REPLAY_CHECKPOINT_LINES tunes the checkpoint spacing (tests).
      ...(Number(io.env?.CATALYST_REPLAY_CHECKPOINT_LINES) > 0
        ? { checkpointLines: Number(io.env?.CATALYST_REPLAY_CHECKPOINT_LINES) }
        : {}),
      ...(options.strict
        ? {
            onRecord: (read: { invalid: number; oversized: number }) => {
              if (read.invalid + read.oversized > 0) throw new MalformedLineError(read);
            },
          }
        : {}),
    });
    folded = result.snapshot;
    stats = result.stats;
  } catch (error) {
    throw wrapReadError(error, options.dir);
  }
  const summary: ReplaySummary = {
    printed: 0,
    invalid: stats.invalid,
    ...(stats.invalidReasons ? { invalidReasons: stats.invalidReasons } : {}),
    oversized: stats.oversized,
    files: stats.files,
  };
  if (options.strict && summary.invalid + summary.oversized > 0) throw new MalformedLineError(summary);
  reportIndex(stats, options, io);
  reportUnreadable(stats, io);

  summary.printed = await writeSnapshot(folded, at, options, io);
  const skipped = skippedMessage(summary);
  if (skipped !== null) io.err.write(skipped);
  return summary;
}

/**
 * Print the fleet at `at` in `options.format`, narrowed to `--orchestrator` / `--worker`; returns
 * the orchestrators printed (also `--nats --at --snapshot`'s output).
 */
export async function writeSnapshot(
  folded: Snapshot,
  at: Date,
  options: ReplayOptions,
  io: ReplayIo,
): Promise<number> {
  const snapshot = narrowSnapshot(folded, options);
  if (options.format === "pretty") {
    const colour = shouldUseColour(io.env ?? {}, io.isTTY ?? false);
    io.out.write(formatSnapshot(snapshot, at, createPaint(colour)));
  } else {
    // One orchestrator at a time (with the sink's backpressure): never the whole fleet as one string.
    await writeJson(
      snapshot,
      options.format === "jsonl" ? 0 : 2,
      "orchestrators",
      createOutputBuffer(io.out),
    );
  }
  return snapshot.orchestrators.length;
}

function narrowSnapshot(snapshot: Snapshot, options: ReplayOptions): Snapshot {
  const orchestrators = options.orchestrators ? new Set(options.orchestrators) : null;
  const workers = options.workers ? new Set(options.workers) : null;
  if (!orchestrators && !workers) return snapshot;
  const keep = (orch: string, worker: string | null): boolean =>
    (!orchestrators || orchestrators.has(orch)) && (!workers || (worker !== null && workers.has(worker)));
  return {
    ...snapshot,
    orchestrators: snapshot.orchestrators
      .filter((o) => !orchestrators || orchestrators.has(o.id))
      .map((o) =>
        workers
          ? {
              ...o,
              workers: Object.fromEntries(Object.entries(o.workers).filter(([key]) => workers.has(key))),
            }
          : o,
      ),
    needsYou: snapshot.needsYou.filter((item) => keep(item.orchestrator, item.worker)),
  };
}
