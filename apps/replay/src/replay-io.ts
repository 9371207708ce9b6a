// What a replay run writes besides the records, shared by the log replay (replay.ts) and the
// snapshot (snapshot.ts): the run's streams and summary, index progress and trouble on stderr, and
// read failures turned into ReplayReadError.
import type { IndexProgress } from "@catalyst/sources/event-log";
import { MalformedLineError, ReplayReadError, UnreadableFilesError } from "./errors.js";
import type { TextSink } from "./output-buffer.js";
import type { ReplayOptions } from "./parse-args.js";
import type { ReadStats } from "./replay-deps.js";

/** Where replay writes, and what it knows about the terminal. */
export interface ReplayIo {
  out: TextSink;
  err: TextSink;
  /** stdout is a terminal: colours the pretty view. @default false */
  isTTY?: boolean;
  /** stderr is a terminal: says "no events matched" there. @default isTTY */
  errIsTTY?: boolean;
  /** For NO_COLOR / FORCE_COLOR. @default {} */
  env?: Record<string, string | undefined>;
  /** Ends `--follow` (Ctrl-C in the CLI). */
  signal?: AbortSignal;
  /**
   * Called before an `--at --snapshot` fold that will start from a fold checkpoint (the bin
   * tunes V8's heap for a short fold that keeps what it builds: see short-fold-heap.ts).
   */
  tuneHeapForShortFold?: () => Promise<void>;
  /** The clock for "indexing takes more than a second" progress. @default Date.now (not `performance`, whose module costs start-up) */
  nowMs?: () => number;
}

/** What a run printed and skipped. */
export interface ReplaySummary {
  printed: number;
  invalid: number;
  /** `invalid` by reason, when the reader knows them (FORMATS-TODAY R1.9). */
  invalidReasons?: Readonly<Record<string, number>>;
  oversized: number;
  files: number;
}

/**
 * Where the index lives, and progress on stderr once indexing has taken more than a second (a
 * first run over a large log, or a month file that grew a lot since the last run).
 */
export function readOptions(
  options: ReplayOptions,
  io: ReplayIo,
): { indexDir?: string; includeLegacy?: boolean; onProgress: (p: IndexProgress) => void } {
  const now = io.nowMs ?? Date.now;
  const started = now();
  let lastPrinted = started;
  let printedAny = false;
  const onProgress = (p: IndexProgress): void => {
    const t = now();
    // At most one line a second, whatever the number of files (10,000 small ones index in a blink each).
    if (t - started < 1000 || (printedAny && t - lastPrinted < 1000)) return;
    printedAny = true;
    lastPrinted = t;
    const pct = p.total > 0 ? Math.floor((p.done / p.total) * 100) : 100;
    io.err.write(
      `catalyst-replay: indexing ${p.file}: ${pct}% of ${formatMb(p.total)} (first read of this part of the log)\n`,
    );
  };
  return {
    ...(options.cacheDir ? { indexDir: options.cacheDir } : {}),
    ...(options.includeLegacy ? { includeLegacy: true } : {}),
    onProgress,
  };
}

function formatMb(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(0)} MB` : `${Math.ceil(bytes / 1e3)} kB`;
}

/**
 * Name on stderr each log file that could not be read; the output lacks their lines, so the run
 * then fails (exit 1) after printing everything else (issue 25).
 */
export function reportUnreadable(stats: ReadStats, io: ReplayIo, fail = true): void {
  const count = stats.unreadableCount ?? 0;
  if (count === 0) return;
  for (const { file, reason } of stats.unreadable ?? [])
    io.err.write(`catalyst-replay: cannot read ${file} (${reason}); its lines are left out\n`);
  const named = stats.unreadable?.length ?? 0;
  if (count > named) io.err.write(`catalyst-replay: … and ${count - named} more unreadable files\n`);
  if (fail) throw new UnreadableFilesError(count);
}

/** Say once, on stderr, that the index could not be kept (the output is complete all the same). */
export function reportIndex(stats: ReadStats, options: ReplayOptions, io: ReplayIo): void {
  if (stats.indexSaveError !== undefined) {
    io.err.write(
      `catalyst-replay: cannot keep the log index in ${options.cacheDir} (${stats.indexSaveError}); set CATALYST_CACHE_DIR to a writable dir to make later runs fast\n`,
    );
  }
}

/** A failure reading the log as a ReplayReadError naming the path (the CLI exits 1). */
export function wrapReadError(error: unknown, dir: string): unknown {
  if (
    error instanceof MalformedLineError ||
    error instanceof ReplayReadError ||
    error instanceof UnreadableFilesError
  )
    return error;
  if (error && typeof error === "object" && ("code" in error || "path" in error)) {
    const path = "path" in error && typeof error.path === "string" ? error.path : dir;
    return new ReplayReadError(path, { cause: error });
  }
  return error;
}

/**
 * The stderr line for skipped lines, with the reasons when known:
 * `skipped 3 malformed lines (2 invalid, 1 oversized; dual-mismatch 1, not-json 1)`.
 */
export function skippedMessage(summary: ReplaySummary): string | null {
  const skipped = summary.invalid + summary.oversized;
  if (skipped === 0) return null;
  const reasons = Object.entries(summary.invalidReasons ?? {})
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([reason, n]) => `${reason} ${n}`)
    .join(", ");
  return `catalyst-replay: skipped ${skipped} malformed line${skipped === 1 ? "" : "s"} (${summary.invalid} invalid, ${summary.oversized} oversized${reasons ? `; ${reasons}` : ""})\n`;
}

/** After the records: the skipped-lines count, and "no events matched" on a terminal. */
export function reportEnd(summary: ReplaySummary, io: ReplayIo): void {
  const skipped = skippedMessage(summary);
  if (skipped !== null) io.err.write(skipped);
  if (summary.printed === 0 && (io.errIsTTY ?? io.isTTY ?? false)) {
    io.err.write("catalyst-replay: no events matched\n");
  }
}
