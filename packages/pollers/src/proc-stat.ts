import { readFileSync } from "node:fs";

// Linux reports process start times in clock ticks since boot. USER_HZ is 100 on every Linux
// architecture Node runs on (sysconf(_SC_CLK_TCK), which Node cannot query), so we use it as a constant.
/** Clock ticks per second in `/proc/<pid>/stat` (USER_HZ on Linux). */
export const CLOCK_TICKS_PER_SECOND = 100;

/**
 * Field 22 (`starttime`, clock ticks since boot) of a `/proc/<pid>/stat` line, or null.
 * The comm field (2) is in parentheses and may itself hold spaces and `)`, so fields are counted
 * after the LAST `)` in the line.
 */
export function parseProcStatStartTicks(text: string): number | null {
  const close = text.lastIndexOf(")");
  if (close < 0) return null;
  // After ") " come field 3 (state), 4 (ppid), ... so field 22 is index 19.
  const rest = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const raw = rest[22 - 3];
  if (raw === undefined || !/^\d+$/.test(raw)) return null;
  const ticks = Number(raw);
  return Number.isSafeInteger(ticks) ? ticks : null;
}

/** The `btime` line of `/proc/stat` (boot time, whole seconds since the epoch), or null. */
export function parseBootTime(text: string): number | null {
  const match = /^btime\s+(\d+)\s*$/m.exec(text);
  return match ? Number(match[1]) : null;
}

/** Reads one procfs file; injected so tests can feed text without a procfs. */
export type ReadProcFile = (path: string) => string;

const readProcFile: ReadProcFile = (path) => readFileSync(path, "utf8");

/** The boot time in epoch ms from `/proc/stat`, or null when procfs is unavailable. */
export function readBootTimeMs(read: ReadProcFile = readProcFile): number | null {
  try {
    const seconds = parseBootTime(read("/proc/stat"));
    return seconds === null ? null : seconds * 1000;
  } catch {
    return null;
  }
}

/**
 * When process `pid` started, in epoch ms, from `/proc/<pid>/stat` and the boot time.
 * Null when the process is gone or procfs is unreadable. Precision is about one second:
 * `btime` is whole seconds and drifts slightly with clock adjustments.
 */
export function readProcessStartMs(
  pid: number,
  bootTimeMs: number | null,
  read: ReadProcFile = readProcFile,
): number | null {
  if (bootTimeMs === null) return null;
  let text: string;
  try {
    text = read(`/proc/${pid}/stat`);
  } catch {
    return null;
  }
  const ticks = parseProcStatStartTicks(text);
  return ticks === null ? null : bootTimeMs + (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}
