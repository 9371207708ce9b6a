import { resolve } from "node:path";
import type { LogRecord, Snapshot } from "@catalyst/schema";
import type { LogLayout } from "@catalyst/sources/event-log";
import {
  addReasons,
  CHECKPOINT_LINES,
  type Checkpoint,
  checkpointDir,
  coverage,
  findCheckpoint,
  saveCheckpoint,
} from "./checkpoints.js";
import { createPaint, shouldUseColour } from "./colour.js";
import { MalformedLineError } from "./errors.js";
import { buildEventFilter } from "./event-filter.js";
import { formatSnapshot } from "./format-snapshot.js";
import type { ReplayOptions } from "./parse-args.js";
import type { FoldOptions, ReplayDeps } from "./replay-deps.js";
import {
  type ReplayIo,
  type ReplaySummary,
  readOptions,
  reportIndex,
  reportUnreadable,
  skippedMessage,
  wrapReadError,
} from "./replay-io.js";

/**
 * `--at <ts> --snapshot`: fold every event up to and including `at` with @catalyst/fuse and
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
  // Fold checkpoints (issue 25): start from the latest valid one at or before `at`, and leave
  // new ones behind. Only for the whole fleet (a filtered fold is another state) and with a cache dir.
  const read = readOptions(options, io);
  let checkpoints: { dir: string; layout: LogLayout; from: Checkpoint | null } | null = null;
  if (filter === undefined && options.cacheDir !== undefined && deps.readLogLayout) {
    const layout = await deps.readLogLayout(options.dir, read);
    if (layout.stats.unreadableCount === 0) {
      const dir = checkpointDir(options.cacheDir, options.dir);
      checkpoints = { dir, layout, from: await findCheckpoint(dir, at.getTime(), layout) };
    }
  }
  const from = checkpoints?.from ?? null;
  const records = deps.readEvents(options.dir, {
    ...(from ? { since: new Date(from.atMs + 1) } : {}),
    // `until` is exclusive; the fleet "at" a time includes what happened in that millisecond.
    until: new Date(at.getTime() + 1),
    ...(filter ? { filter } : {}),
    ...read,
  });
  const fold: FoldOptions = {
    ...(from ? { from: from.state } : {}),
    ...(checkpoints
      ? {
          // A checkpoint every CHECKPOINT_LINES lines; CATALYST_REPLAY_CHECKPOINT_LINES tunes it (tests).
          every: Number(io.env?.CATALYST_REPLAY_CHECKPOINT_LINES) || CHECKPOINT_LINES,
          onCheckpoint: (state: unknown, atMs: number) =>
            saveCheckpoint(checkpoints.dir, {
              v: 2,
              dir: resolve(options.dir),
              atMs,
              files: coverage(checkpoints.layout),
              invalid: (from?.invalid ?? 0) + records.stats.invalid,
              invalidReasons: addReasons(from?.invalidReasons, records.stats.invalidReasons) ?? {},
              oversized: (from?.oversized ?? 0) + records.stats.oversized,
              state,
            }),
        }
      : {}),
  };
  // Streamed into the fold: memory holds the fleet's state, never the log's events.
  async function* checked(): AsyncGenerator<LogRecord> {
    for await (const record of records) {
      if (options.strict && records.stats.invalid + records.stats.oversized > 0) {
        throw new MalformedLineError(records.stats);
      }
      yield record;
    }
  }
  let folded: Snapshot;
  try {
    folded = await deps.foldEvents(checked(), at, fold);
  } catch (error) {
    throw wrapReadError(error, options.dir);
  }
  const reasons = addReasons(from?.invalidReasons, records.stats.invalidReasons);
  const summary: ReplaySummary = {
    printed: 0,
    invalid: (from?.invalid ?? 0) + records.stats.invalid,
    ...(reasons ? { invalidReasons: reasons } : {}),
    oversized: (from?.oversized ?? 0) + records.stats.oversized,
    files: records.stats.files,
  };
  if (options.strict && summary.invalid + summary.oversized > 0) throw new MalformedLineError(summary);
  reportIndex(records.stats, options, io);
  reportUnreadable(records.stats, io);

  const snapshot = narrowSnapshot(folded, options);
  summary.printed = snapshot.orchestrators.length;
  if (options.format === "pretty") {
    const colour = shouldUseColour(io.env ?? {}, io.isTTY ?? false);
    io.out.write(formatSnapshot(snapshot, at, createPaint(colour)));
  } else if (options.format === "jsonl") {
    io.out.write(`${JSON.stringify(snapshot)}\n`);
  } else {
    io.out.write(`${JSON.stringify(snapshot, null, 2)}\n`);
  }
  const skipped = skippedMessage(summary);
  if (skipped !== null) io.err.write(skipped);
  return summary;
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
