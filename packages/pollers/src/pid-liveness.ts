import type { LivenessResult, LivenessTarget } from "@catalyst/schema";
import { readBootTimeMs, readProcessStartMs } from "./proc-stat.js";

/** Sends a signal; the default wraps `process.kill` so a spy installed later still sees calls. */
export type KillProbe = (pid: number, signal: 0) => void;

const processKill: KillProbe = (pid, signal) => {
  process.kill(pid, signal);
};

/**
 * `kill(pid, 0)`: true when the process exists, `"eperm"` when it exists but belongs to another
 * user, false when it does not (ESRCH). Any other error also counts as dead, like the reference
 * monitor (FORMATS §5.9).
 */
export function isPidAlive(pid: number, kill: KillProbe = processKill): boolean | "eperm" {
  try {
    kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException | null)?.code === "EPERM" ? "eperm" : false;
  }
}

/** What a job probe found (the shape of `@catalyst/sources`' `readJobLiveness`). */
export interface JobProbeAnswer {
  verdict: "alive" | "dead" | "blocked" | "unknown";
  state: string | null;
}

/** Reads a job's liveness; the engine passes sources' `readJobLiveness` bound to the jobs dir. */
export type JobProbe = (jobId: string) => JobProbeAnswer;

/** Effects of a liveness check, with real defaults. */
export interface LivenessDeps {
  /** @default process.kill wrapper */
  kill?: KillProbe;
  /** Start time of a live pid in epoch ms, or null when unknown. @default /proc on Linux, else always null */
  processStartMs?: (pid: number) => number | null;
  /**
   * How much later than `startedAt` the process may have started and still be the worker: the
   * orchestrator stamps `startedAt`, then launches the worker and records its pid (FORMATS §2.1),
   * and the two clocks are read to whole seconds.
   * @default 60_000
   */
  startSlackMs?: number;
  /** How a target with a `jobId` is checked. @default none: such a target is unknown (`no-job`), never dead */
  jobProbe?: JobProbe;
}

/**
 * `processStartMs` default: procfs on Linux, nothing elsewhere (kill(0) only). The boot time is
 * re-read at most once a minute: it only moves with clock adjustments, and `/proc/stat` is not tiny.
 */
export function createProcessStartReader(
  platform: NodeJS.Platform = process.platform,
  clockMs: () => number = Date.now,
): (pid: number) => number | null {
  if (platform !== "linux") return () => null;
  let bootTimeMs: number | null = null;
  let readAt = Number.NEGATIVE_INFINITY;
  return (pid) => {
    const now = clockMs();
    if (bootTimeMs === null || now - readAt > 60_000) {
      bootTimeMs = readBootTimeMs();
      readAt = now;
    }
    return readProcessStartMs(pid, bootTimeMs);
  };
}

const defaultStartReader = createProcessStartReader();

/** Default slack between `startedAt` and the process start time. */
export const DEFAULT_START_SLACK_MS = 60_000;

/**
 * Is this worker's process alive? A missing or impossible pid (null, non-integer, 0, 1, negative)
 * is "unknown" (`alive: null`), never dead. On Linux a live pid whose process started well after the
 * worker's `startedAt` is a reused pid: not the worker, so `alive: false, reason: "reused"` (B4).
 */
export function checkLiveness(target: LivenessTarget, now: Date, deps: LivenessDeps = {}): LivenessResult {
  const checkedAt = now.toISOString();
  if (target.jobId !== undefined) return checkJob(target.jobId, checkedAt, deps.jobProbe);
  const pid: unknown = target.pid;
  if (pid === null || pid === undefined) return { pid: null, alive: null, reason: "no-pid", checkedAt };
  // pid 0 and negative pids address process groups and 1 is init: none of them is a worker.
  if (typeof pid !== "number" || !Number.isSafeInteger(pid) || pid <= 1) {
    return {
      pid: typeof pid === "number" && Number.isFinite(pid) ? pid : null,
      alive: null,
      reason: "invalid-pid",
      checkedAt,
    };
  }
  const probe = isPidAlive(pid, deps.kill ?? processKill);
  if (probe === false) return { pid, alive: false, reason: "dead", checkedAt };
  const startedAtMs = target.startedAt ? Date.parse(target.startedAt) : Number.NaN;
  if (Number.isFinite(startedAtMs)) {
    const startMs = (deps.processStartMs ?? defaultStartReader)(pid);
    const slack = deps.startSlackMs ?? DEFAULT_START_SLACK_MS;
    if (startMs !== null && startMs > startedAtMs + slack) {
      return { pid, alive: false, reason: "reused", checkedAt };
    }
  }
  return { pid, alive: true, reason: probe === "eperm" ? "eperm" : "alive", checkedAt };
}

/**
 * An execution-core job (R3.17–R3.19): alive, dead (dir gone or a terminal state), blocked (waiting
 * on you: `alive` null, not dead), or unknown when there is no probe or no usable id.
 */
function checkJob(jobId: string, checkedAt: string, probe: JobProbe | undefined): LivenessResult {
  const base = { pid: null, checkedAt, jobId };
  if (!probe || jobId === "") return { ...base, alive: null, reason: "no-job", jobState: null };
  let answer: JobProbeAnswer;
  try {
    answer = probe(jobId);
  } catch {
    answer = { verdict: "unknown", state: null };
  }
  const jobState = answer.state;
  switch (answer.verdict) {
    case "alive":
      return { ...base, alive: true, reason: "job-alive", jobState };
    case "dead":
      return { ...base, alive: false, reason: "job-dead", jobState };
    case "blocked":
      return { ...base, alive: null, reason: "job-blocked", jobState };
    default:
      return { ...base, alive: null, reason: "no-job", jobState };
  }
}
