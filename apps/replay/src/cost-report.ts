import type { FuseInput, LogRecord, Snapshot } from "@catalyst/schema";
import { MalformedLineError } from "./errors.js";
import type { ReplayOptions } from "./parse-args.js";
import type { ReplayDeps } from "./replay-deps.js";
import { type ReplayIo, type ReplaySummary, readOptions, reportIndex, wrapReadError } from "./replay-io.js";

const DAY_MS = 86_400_000;
const FOLD_BATCH = 512;

/** Spend in a window: per UTC day, per orchestrator, and both. */
export interface CostReport {
  since: string;
  until: string;
  total: number;
  /** Workers with a cost, whose spend was spread over their life (startedAt → last update). */
  workers: number;
  days: Array<{ day: string; usd: number; orchestrators: Record<string, number> }>;
  orchestrators: Record<string, number>;
}

/** Reads the signal and state files of the catalyst dir (the costs live there, not in the log). */
export type ScanDir = (dir: string) => Promise<FuseInput[]>;

const round = (usd: number): number => Math.round(usd * 1e6) / 1e6;

/**
 * The spend of a fleet between `since` and `until`: every orchestrator's workers folded into a
 * spend tracker of its own (fuse's), which spreads each worker's cost between its start and its
 * last update, then asked for each UTC day.
 */
export async function buildCostReport(snapshot: Snapshot, since: Date, until: Date): Promise<CostReport> {
  const { createSpendTracker } = await import("@catalyst/fuse");
  const horizonMs = until.getTime() - since.getTime() + 2 * DAY_MS;
  const days: CostReport["days"] = [];
  for (let start = Math.floor(since.getTime() / DAY_MS) * DAY_MS; start < until.getTime(); start += DAY_MS)
    days.push({ day: new Date(start).toISOString().slice(0, 10), usd: 0, orchestrators: {} });
  const orchestrators: Record<string, number> = {};
  let workers = 0;
  for (const o of snapshot.orchestrators) {
    const tracker = createSpendTracker({ horizonMs });
    tracker.observe({ id: 0, event: "snapshot", data: { ...snapshot, orchestrators: [o] } });
    workers += Object.values(o.workers).filter((w) => (w.cost?.costUSD ?? 0) > 0).length;
    let sum = 0;
    for (const day of days) {
      const start = Date.parse(`${day.day}T00:00:00.000Z`);
      const from = new Date(Math.max(start, since.getTime()));
      const to = new Date(Math.min(start + DAY_MS, until.getTime()));
      const usd = tracker.spent(from, to);
      if (usd <= 0) continue;
      day.orchestrators[o.id] = usd;
      day.usd = round(day.usd + usd);
      sum += usd;
    }
    if (sum > 0) orchestrators[o.id] = round(sum);
  }
  const total = round(Object.values(orchestrators).reduce((a, b) => a + b, 0));
  return { since: since.toISOString(), until: until.toISOString(), total, workers, days, orchestrators };
}

function usd(n: number): string {
  return n > 0 && n < 0.01 ? "<$0.01" : `$${n.toFixed(2)}`;
}

/** The report as text: spend per day, per orchestrator, and the total. */
export function formatCostReport(report: CostReport): string {
  const lines = [`spend from ${report.since} to ${report.until} (days in UTC)`, "", "per day:"];
  for (const d of report.days) lines.push(`  ${d.day}  ${usd(d.usd).padStart(10)}`);
  lines.push("", "per orchestrator:");
  const ranked = Object.entries(report.orchestrators).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (ranked.length === 0) lines.push("  (no cost in this window)");
  const width = Math.max(0, ...ranked.map(([id]) => id.length));
  for (const [id, n] of ranked) lines.push(`  ${id.padEnd(width)}  ${usd(n).padStart(10)}`);
  lines.push(
    "",
    `total ${usd(report.total)} over ${report.workers} worker${report.workers === 1 ? "" : "s"} with a cost`,
  );
  return `${lines.join("\n")}\n`;
}

/**
 * `--cost --since <ts>`: the fleet from the signal and state files and the log since `since`,
 * folded by fuse at `until`, and what it spent per day and per orchestrator in the window. A
 * worker's cost is spread between its start and its last update (the files keep only the latest
 * cost), so a day's figure is an estimate when a worker ran across midnight.
 */
export async function printCost(
  options: ReplayOptions,
  io: ReplayIo,
  deps: ReplayDeps,
  scan: ScanDir,
): Promise<ReplaySummary> {
  const since = options.since as Date;
  const until = options.until as Date;
  const { createFuse } = await import("@catalyst/fuse");
  const fuse = createFuse();
  let records: ReturnType<ReplayDeps["readEvents"]>;
  try {
    fuse.apply(await scan(options.dir), until);
    records = deps.readEvents(options.dir, { since, until, ...readOptions(options, io) });
    let batch: LogRecord[] = [];
    for await (const record of records) {
      if (options.strict && records.stats.invalid + records.stats.oversized > 0)
        throw new MalformedLineError(records.stats);
      batch.push(record);
      if (batch.length >= FOLD_BATCH) {
        fuse.apply({ kind: "log-lines", records: batch, replayed: true }, until);
        batch = [];
      }
    }
    if (batch.length > 0) fuse.apply({ kind: "log-lines", records: batch, replayed: true }, until);
  } catch (error) {
    throw wrapReadError(error, options.dir);
  }
  reportIndex(records.stats, options, io);
  const wanted = options.orchestrators ? new Set(options.orchestrators) : null;
  const full = fuse.snapshot();
  const snapshot = wanted
    ? { ...full, orchestrators: full.orchestrators.filter((o) => wanted.has(o.id)) }
    : full;
  const report = await buildCostReport(snapshot, since, until);
  if (options.format === "pretty") io.out.write(formatCostReport(report));
  else io.out.write(`${JSON.stringify(report, null, options.format === "json" ? 2 : undefined)}\n`);
  const summary: ReplaySummary = {
    printed: report.days.length,
    invalid: records.stats.invalid,
    oversized: records.stats.oversized,
    files: records.stats.files,
  };
  const skipped = summary.invalid + summary.oversized;
  if (skipped > 0)
    io.err.write(
      `catalyst-replay: skipped ${skipped} malformed line${skipped === 1 ? "" : "s"} (${summary.invalid} invalid, ${summary.oversized} oversized)\n`,
    );
  return summary;
}
