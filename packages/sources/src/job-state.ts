import { closeSync, constants, fstatSync, openSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseJobStateText } from "@catalyst/schema";

// Liveness of an execution-core phase from Claude Code's job dir (FORMATS-TODAY §3.5,
// `recovery.mjs::jobLifecycle@d52d085f`). This is plain file reading, so it lives here, the only
// package that touches the filesystem; `@catalyst/pollers` calls it on the pid cadence.

/** What one job check found. */
export interface JobLiveness {
  /** `alive`, `dead` (dir gone, or a terminal state), `blocked` (waiting on you), `unknown` (no usable id). */
  verdict: "alive" | "dead" | "blocked" | "unknown";
  /** The raw `state` read, when there was one. */
  state: string | null;
}

/** R3.18: states after which the job does no more work (`blocked` is shown as waiting on you, R3.19). */
const TERMINAL_JOB_STATES: ReadonlySet<string> = new Set(["stopped", "failed", "done", "blocked"]);

/** A job id is one path segment (the schema says 8 lower-case hex; anything path-like is refused). */
const JOB_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** @default cap on a job state.json: a real one is a few hundred bytes. */
export const MAX_JOB_STATE_BYTES = 64 * 1024;

// Sync on purpose: one small file per running phase, on the pid poller's timer. O_NONBLOCK and
// fstat refuse a FIFO or device without blocking; at most `maxBytes` are read.
function readSmallFile(path: string, maxBytes: number): string | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > maxBytes) return null;
    const buf = Buffer.allocUnsafe(Math.min(maxBytes, st.size + 1024));
    let length = 0;
    while (length < buf.length) {
      const n = readSync(fd, buf, length, buf.length - length, length);
      if (n === 0) break;
      length += n;
    }
    return buf.toString("utf8", 0, length);
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/**
 * R3.18/R3.19: the job dir absent → dead; `firstTerminalAt` set or `state` in
 * stopped/failed/done → dead; `blocked` → blocked; anything else, notably `working`, or a
 * `state.json` that is missing or unreadable inside an existing dir → alive. mtime is never used.
 */
export function readJobLiveness(jobsDir: string, jobId: string, maxBytes = MAX_JOB_STATE_BYTES): JobLiveness {
  if (!JOB_ID.test(jobId)) return { verdict: "unknown", state: null };
  const dir = join(jobsDir, jobId);
  try {
    if (!statSync(dir).isDirectory()) return { verdict: "dead", state: null };
  } catch {
    return { verdict: "dead", state: null };
  }
  const text = readSmallFile(join(dir, "state.json"), maxBytes);
  if (text === null) return { verdict: "alive", state: null };
  const parsed = parseJobStateText(text);
  if (!parsed.ok) return { verdict: "alive", state: null };
  const state = typeof parsed.value.state === "string" ? parsed.value.state : null;
  if (state === "blocked") return { verdict: "blocked", state };
  if (parsed.value.firstTerminalAt || (state !== null && TERMINAL_JOB_STATES.has(state))) {
    return { verdict: "dead", state };
  }
  return { verdict: "alive", state };
}
