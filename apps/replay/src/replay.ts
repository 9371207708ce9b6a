import type { LogRecord, NormalizedEvent, SourceChange } from "@catalyst/schema";
import { createPaint, shouldUseColour } from "./colour.js";
import { printCost } from "./cost-report.js";
import { MalformedLineError } from "./errors.js";
import { buildEventFilter } from "./event-filter.js";
import { createPrettyFormatter, type RecordFormatter } from "./format-pretty.js";
import { createOutputBuffer, type OutputBuffer } from "./output-buffer.js";
import type { ReplayOptions } from "./parse-args.js";
import { assertDirectory, isBytesQuery, replayBytes } from "./replay-bytes.js";
import { defaultReplayDeps, type ReadStats, type ReplayDeps } from "./replay-deps.js";
import {
  type ReplayIo,
  type ReplaySummary,
  readOptions,
  reportEnd,
  reportIndex,
  reportUnreadable,
  wrapReadError,
} from "./replay-io.js";
import { printSnapshot } from "./snapshot.js";

export type { ReplayIo, ReplaySummary } from "./replay-io.js";

/**
 * Print the event log from `options.since` on, in time order across the monthly files and the
 * legacy `events.jsonl` (with `nats`: every host's lines from the broker, merged by `ts`), then (with `follow`) new lines as they are appended until `io.signal`
 * aborts; or, with `snapshot`, the fleet folded at `options.at`. Throws ReplayReadError on I/O
 * errors and MalformedLineError under `strict`.
 */
export async function replay(
  options: ReplayOptions,
  io: ReplayIo,
  deps: ReplayDeps = defaultReplayDeps,
): Promise<ReplaySummary> {
  if (options.nats) {
    // Loaded only for --nats: a local replay never pays for the NATS client.
    const { printNatsSnapshot, replayNats } = await import("./replay-nats.js");
    return options.snapshot ? printNatsSnapshot(options, io) : replayNats(options, io);
  }
  assertDirectory(options.dir);
  if (options.snapshot) return printSnapshot(options, io, deps);
  if (options.cost) return printCost(options, io, deps, deps.scanDir ?? defaultReplayDeps.scanDir!);
  if (isBytesQuery(options)) return replayBytes(options, io, deps);
  const filter = buildEventFilter(options);

  const colour = options.format === "pretty" && shouldUseColour(io.env ?? {}, io.isTTY ?? false);
  const format = pickFormatter(options, colour);
  const matches = (event: NormalizedEvent): boolean =>
    (filter === undefined || filter(event)) &&
    (options.since === undefined || event.tsMs >= options.since.getTime());
  const out = createOutputBuffer(io.out);
  const summary: ReplaySummary = { printed: 0, invalid: 0, oversized: 0, files: 0 };

  // Follow: start the tailer (at the current end of the log) BEFORE reading history, and drop
  // live records that history already printed, so a line appended in between is printed once.
  const live = options.follow ? startLive(options, deps, summary) : null;
  if (live) await live.ready;

  const scannedEnd = new Map<string, number>();
  let printedFirst = false;
  let unreadableStats: ReadStats | null = null;
  if (options.format === "json") out.push("[");
  try {
    // `--follow` alone means live lines only: there is no history to print.
    const records =
      options.since === undefined && live
        ? emptyRecords()
        : deps.readEvents(options.dir, {
            ...(options.since ? { since: options.since } : {}),
            ...(options.until ? { until: options.until } : {}),
            ...readOptions(options, io),
            // In follow mode every record is seen here, so the scanned end of each file is known.
            ...(filter && !live ? { filter } : {}),
          });
    let badSoFar = 0;
    for await (const record of records) {
      // Ctrl-C during a long history in follow mode: stop reading, go straight to the end.
      if (io.signal?.aborted) break;
      if (options.strict) {
        badSoFar = records.stats.invalid + records.stats.oversized;
        if (badSoFar > 0) throw new MalformedLineError(records.stats);
      }
      if (live) {
        const end = record.offset + Buffer.byteLength(record.text) + 1;
        if (end > (scannedEnd.get(record.file) ?? 0)) scannedEnd.set(record.file, end);
        if (filter && !filter(record.event)) continue;
      }
      const full = out.push(formatSafely(format, record, summary.printed));
      summary.printed++;
      if (options.waitFor) break;
      // The first line goes out at once (time to first line); the rest in 64 KiB chunks.
      if (!printedFirst || full) {
        printedFirst = true;
        await out.flush();
      }
    }
    summary.invalid = records.stats.invalid;
    const reasons = (records.stats as ReadStats).invalidReasons;
    if (reasons) summary.invalidReasons = reasons;
    summary.oversized = records.stats.oversized;
    summary.files = records.stats.files;
    reportIndex(records.stats, options, io);
    unreadableStats = records.stats;
  } catch (error) {
    if (live) await live.stop();
    throw wrapReadError(error, options.dir);
  }
  if (options.format === "json") out.push(summary.printed === 0 ? "]\n" : "\n]\n");
  await out.flush();
  // Files left out are named; a one-shot run then fails, --follow goes on following.
  if (unreadableStats) reportUnreadable(unreadableStats, io, live === null);
  if (options.strict && summary.invalid + summary.oversized > 0) {
    if (live) await live.stop();
    throw new MalformedLineError(summary);
  }

  if (!live || (options.waitFor && summary.printed > 0)) {
    if (live) await live.stop();
    if (!options.waitFor) reportEnd(summary, io);
    return summary;
  }
  await live.run(scannedEnd, matches, format, out, io);
  if (!options.waitFor) reportEnd(summary, io);
  return summary;
}

/** A record the pretty view cannot render (e.g. nested too deeply) gets a marker, not a crash. */
function formatSafely(
  format: (record: LogRecord, index: number) => string,
  record: LogRecord,
  index: number,
): string {
  try {
    return format(record, index);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return `[catalyst-replay: cannot format the line at ${record.file}:${record.offset} (${reason}); --format jsonl prints it as written]\n`;
  }
}

function pickFormatter(
  options: ReplayOptions,
  colour: boolean,
): (record: LogRecord, index: number) => string {
  if (options.format === "jsonl") return (record) => `${record.text}\n`;
  // The original text is already one valid JSON object, so the array reuses its bytes.
  if (options.format === "json") return (record, index) => `${index === 0 ? "\n" : ",\n"}${record.text}`;
  const pretty: RecordFormatter = createPrettyFormatter(createPaint(colour));
  return (record) => pretty(record);
}

interface Live {
  ready: Promise<void>;
  stop(): Promise<void>;
  run(
    scannedEnd: Map<string, number>,
    matches: (event: NormalizedEvent) => boolean,
    format: (record: LogRecord, index: number) => string,
    out: OutputBuffer,
    io: ReplayIo,
  ): Promise<void>;
}

function startLive(options: ReplayOptions, deps: ReplayDeps, summary: ReplaySummary): Live {
  const tailer = deps.createLogTailer({ catalystDir: options.dir, from: "end" });
  let queue: SourceChange[][] = [];
  let wake: (() => void) | null = null;
  const unsubscribe = tailer.subscribe((changes) => {
    queue.push(changes);
    wake?.();
  });
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    unsubscribe();
    await tailer.stop();
  };
  return {
    ready: tailer.start(),
    stop,
    async run(scannedEnd, matches, format, out, io) {
      const aborted = new Promise<void>((resolve) => {
        if (io.signal?.aborted) resolve();
        io.signal?.addEventListener("abort", () => resolve(), { once: true });
      });
      let done = false;
      void aborted.then(() => {
        done = true;
        wake?.();
      });
      try {
        while (!done) {
          if (queue.length === 0) {
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
            wake = null;
            continue;
          }
          const batch = queue;
          queue = [];
          for (const changes of batch) {
            for (const change of changes) {
              if (change.kind === "log-skipped") {
                if (change.reason === "oversized") summary.oversized++;
                else summary.invalid++;
                if (options.strict) throw new MalformedLineError(summary);
                continue;
              }
              if (change.kind === "log-reset") {
                // Truncated, replaced or deleted: offsets start again, so nothing seen before is a duplicate.
                scannedEnd.delete(change.file);
                continue;
              }
              if (change.kind !== "log-lines") continue;
              for (const record of change.records) {
                if (record.offset < (scannedEnd.get(record.file) ?? 0)) continue;
                if (!matches(record.event)) continue;
                out.push(formatSafely(format, record, summary.printed));
                summary.printed++;
                // --wait-for: the first matching line is the answer.
                if (options.waitFor) {
                  done = true;
                  break;
                }
              }
              if (done) break;
            }
            if (done) break;
          }
          await out.flush();
        }
      } finally {
        await stop();
        await out.flush();
      }
    },
  };
}

function emptyRecords(): AsyncIterable<LogRecord> & {
  stats: { invalid: 0; oversized: 0; files: 0; bytesRead: 0 };
} {
  return {
    stats: { invalid: 0, oversized: 0, files: 0, bytesRead: 0 },
    async *[Symbol.asyncIterator]() {},
  };
}
