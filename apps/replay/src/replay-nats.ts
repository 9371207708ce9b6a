import { createPaint, shouldUseColour } from "./colour.js";
import { MalformedLineError, UsageError } from "./errors.js";
import { buildEventFilter } from "./event-filter.js";
import { clean, createPrettyFormatter } from "./format-pretty.js";
import { createOutputBuffer } from "./output-buffer.js";
import type { ReplayOptions } from "./parse-args.js";
import type { ReplayIo, ReplaySummary } from "./replay-io.js";
import { writeSnapshot } from "./snapshot.js";

const MAX_HOST_WIDTH = 24;

/**
 * `--nats`: every host's lines from the broker's stream, merged by their own `ts` (then host, file,
 * offset), through @catalyst/relay's readRelayEvents. The NATS client is loaded only here.
 */
export async function replayNats(options: ReplayOptions, io: ReplayIo): Promise<ReplaySummary> {
  const nats = options.nats!;
  const { relay, settings } = await natsSettings(options, io);
  const filter = buildEventFilter(options);
  const progress = progressReporter(io);
  const records = relay.readRelayEvents({
    servers: settings.servers,
    auth: settings.auth,
    ...(options.since ? { since: options.since } : {}),
    ...(options.until ? { until: options.until } : {}),
    ...(nats.hosts ? { hosts: nats.hosts } : {}),
    ...(filter ? { filter } : {}),
    ...(nats.sortBytes ? { memoryBytes: nats.sortBytes } : {}),
    ...(io.signal ? { signal: io.signal } : {}),
    ...(progress ? { onProgress: progress.report } : {}),
    // --follow: live lines after the window (stream order); --follow alone: live lines only.
    ...(options.follow ? { follow: true, history: options.since !== undefined } : {}),
  });

  const colour = options.format === "pretty" && shouldUseColour(io.env ?? {}, io.isTTY ?? false);
  const paint = createPaint(colour);
  const pretty = createPrettyFormatter(paint);
  let hostWidth = 8;
  const format = (e: { host: string; file: string; offset: number; text: string }, index: number): string => {
    if (options.format === "jsonl")
      return nats.withHost ? `{"host":${JSON.stringify(e.host)},"line":${e.text}}\n` : `${e.text}\n`;
    if (options.format === "json") {
      const item = nats.withHost ? `{"host":${JSON.stringify(e.host)},"line":${e.text}}` : e.text;
      return `${index === 0 ? "\n" : ",\n"}${item}`;
    }
    // A host name is free text: no control characters reach the terminal.
    const host = clean(e.host);
    hostWidth = Math.min(MAX_HOST_WIDTH, Math.max(hostWidth, host.length));
    const record = relay.toLogRecord(e as Parameters<typeof relay.toLogRecord>[0]);
    const line =
      record === null
        ? `[catalyst-replay: cannot parse the line at ${e.file}:${e.offset}; --format jsonl prints it as written]\n`
        : pretty(record);
    return `${paint("cyan", host.padEnd(hostWidth))}  ${line}`;
  };

  const out = createOutputBuffer(io.out);
  const summary: ReplaySummary = { printed: 0, invalid: 0, oversized: 0, files: 0 };
  if (options.format === "json") out.push("[");
  let first = true;
  try {
    for await (const e of records) {
      if (first) progress?.clear();
      if (options.strict && records.stats.invalid + records.stats.malformed > 0)
        throw new MalformedLineError({
          invalid: records.stats.invalid + records.stats.malformed,
          oversized: 0,
        });
      const full = out.push(format(e, summary.printed));
      summary.printed++;
      if (options.waitFor) break;
      // Live lines go out as they come; the window's first at once, then in chunks.
      if (first || full || records.stats.live > 0) await out.flush();
      first = false;
    }
  } finally {
    progress?.clear();
  }
  if (options.format === "json") out.push(summary.printed === 0 ? "]\n" : "\n]\n");
  await out.flush();
  const stats = records.stats;
  summary.invalid = stats.invalid + stats.malformed;
  if (options.strict && summary.invalid > 0) throw new MalformedLineError(summary);
  if (stats.streamMissing && !options.follow)
    io.err.write("catalyst-replay: the broker has no event stream yet (nothing was published to it)\n");
  if (summary.invalid > 0)
    io.err.write(
      `catalyst-replay: skipped ${summary.invalid} malformed message${summary.invalid === 1 ? "" : "s"} on the stream\n`,
    );
  if (stats.duplicates > 0)
    io.err.write(
      `catalyst-replay: printed once ${stats.duplicates} line${stats.duplicates === 1 ? "" : "s"} the stream held twice\n`,
    );
  if (summary.printed === 0 && (io.errIsTTY ?? io.isTTY ?? false) && !stats.streamMissing && !options.follow)
    io.err.write("catalyst-replay: no events matched\n");
  return summary;
}

/**
 * `--nats --at <ts> --snapshot`: every host's fleet at that time, folded from the stream's lines
 * with their own ts at or before it (@catalyst/engine's central time travel, the central monitor's
 * `/api/snapshot?at=`), from fold checkpoints in the user cache dir; ids `<host>/<id>`.
 */
export async function printNatsSnapshot(options: ReplayOptions, io: ReplayIo): Promise<ReplaySummary> {
  const at = options.at as Date;
  const { settings } = await natsSettings(options, io);
  const { foldCentralAt } = await import("@catalyst/engine/central-time-travel");
  const result = await foldCentralAt(at, {
    servers: settings.servers,
    ...(settings.auth === undefined ? {} : { auth: settings.auth }),
    ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
  });
  const printed = await writeSnapshot(result.snapshot, at, options, io);
  return { printed, invalid: 0, oversized: 0, files: 0 };
}

/** "reading the stream: 40%" on a terminal's stderr, at most once a second, after the first second. */
function progressReporter(
  io: ReplayIo,
): { report: (p: { received: number; total: number }) => void; clear: () => void } | null {
  if (!(io.errIsTTY ?? false)) return null;
  const now = io.nowMs ?? (() => performance.now());
  const started = now();
  let last = started;
  let shown = false;
  return {
    report({ received, total }) {
      const t = now();
      if (t - started < 1000 || t - last < 1000) return;
      last = t;
      shown = true;
      const pct = total > 0 ? Math.floor((received / total) * 100) : 100;
      io.err.write(
        `\rcatalyst-replay: reading the stream: ${pct}% (${received} of ${total} messages)\u001b[K`,
      );
    },
    clear() {
      if (!shown) return;
      shown = false;
      io.err.write("\r\u001b[K");
    },
  };
}

/** The relay module (loaded only for `--nats`) and the connection settings from the `--nats*` flags. */
async function natsSettings(options: ReplayOptions, io: ReplayIo) {
  const nats = options.nats!;
  const relay = await import("@catalyst/relay");
  try {
    return { relay, settings: await relay.resolveNatsConnection(nats.url, nats.flags, io.env ?? {}) };
  } catch (error) {
    // A credentials file that is missing, empty or too large is a command-line mistake.
    if (error instanceof relay.NatsCredentialsError)
      throw new UsageError(error.message, { flag: error.source }, { cause: error });
    throw error;
  }
}
