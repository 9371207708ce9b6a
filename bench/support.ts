// Shared pieces of the system benches (P5–P8, the runner): medians and /proc reads. The machine
// line, the BENCHMARKS.md section writer and the wait for a child's `listening on <url>` are
// @catalyst/test-utils' (the same for every bench in the repository).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export {
  BENCHMARKS,
  type ListeningChild as Child,
  load,
  loadNote,
  machine,
  startListening,
  writeSection,
} from "../packages/test-utils/src/bench.ts";

export const ROOT = fileURLToPath(new URL("../", import.meta.url));
export const TSX = `${ROOT}node_modules/tsx/dist/loader.mjs`;

/** The `node` arguments that run catalyst-monitor from source (tsx, the source condition). */
export const MONITOR_FROM_SOURCE = [
  "--conditions=@catalyst/source",
  "--import",
  TSX,
  `${ROOT}apps/monitor/src/bin.ts`,
];

/** A reader of numeric `--<prefix><name> <value>` flags, each with its fallback. */
export function numericFlags(
  argv: readonly string[],
  prefix = "",
): (name: string, fallback: number) => number {
  return (name, fallback) => {
    const i = argv.indexOf(`--${prefix}${name}`);
    return i >= 0 && argv[i + 1] !== undefined ? Number(argv[i + 1]) : fallback;
  };
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** `VmRSS` and `VmHWM` of a pid in bytes, or null when it is gone. */
export function memoryOf(pid: number): { rss: number; peak: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const rss = /VmRSS:\s+(\d+) kB/.exec(status);
    const peak = /VmHWM:\s+(\d+) kB/.exec(status);
    return rss && peak ? { rss: Number(rss[1]) * 1024, peak: Number(peak[1]) * 1024 } : null;
  } catch {
    return null;
  }
}

export const mib = (bytes: number) => bytes / 2 ** 20;
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const fmtMs = (ms: number) => (Number.isNaN(ms) ? "–" : ms < 10 ? ms.toFixed(1) : ms.toFixed(0));
