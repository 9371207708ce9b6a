// Maps open-ended status strings onto a fixed set of colour tones (styles.css `.tone-*`), following
// the reference UI's phase colours (FORMATS §5.13). Unknown values get a neutral tone; the raw
// status is never used as a class name.

import { TERMINAL_WORKER_STATUSES } from "@catalyst/schema/constants";

/** True when the worker will not write again (done, merged, failed, stalled, superseded, canceled). */
export function isFinished(status: string): boolean {
  return TERMINAL_WORKER_STATUSES.has(status.toLowerCase());
}

/** The colour tones styles.css defines. */
export type Tone =
  | "dispatched"
  | "research"
  | "plan"
  | "implement"
  | "validate"
  | "ship"
  | "merge"
  | "done"
  | "failed"
  | "stalled"
  | "remediation"
  | "abandoned"
  | "unknown";

const WORKER_TONES: Record<string, Tone> = {
  dispatched: "dispatched",
  researching: "research",
  planning: "plan",
  implementing: "implement",
  in_progress: "implement",
  validating: "validate",
  shipping: "ship",
  "pr-created": "ship",
  "pr-open": "ship",
  pr_open: "ship",
  deploying: "ship",
  merging: "merge",
  merged: "done",
  done: "done",
  failed: "failed",
  "deploy-failed": "failed",
  signal_corrupt: "failed",
  stalled: "stalled",
  remediation: "remediation",
  superseded: "abandoned",
  canceled: "abandoned",
};

/** Tone of a worker status. */
export function workerStatusTone(status: string): Tone {
  return WORKER_TONES[status] ?? "unknown";
}

/** Tone of a CI status (`pending`, `passing`, `failing`, `merged`, mixed values such as `passing,pending`). */
export function ciTone(ci: string): Tone {
  const parts = ci.split(",").map((p) => p.trim());
  if (parts.includes("failing")) return "failed";
  if (parts.includes("pending")) return "validate";
  if (parts.includes("merged")) return "done";
  if (parts.includes("passing")) return "implement";
  return "unknown";
}

/** Tone of a wave or orchestrator status (`in_progress`, `complete`, `blocked`, `failed`, ...). */
export function groupStatusTone(status: string | null): Tone {
  switch (status) {
    case "complete":
    case "completed":
      return "done";
    case "in_progress":
    case "active":
      return "implement";
    case "failed":
    case "abandoned":
      return "failed";
    case "blocked":
    case "paused":
      return "stalled";
    case "pending":
    case "provisioning":
      return "dispatched";
    default:
      return "unknown";
  }
}

/** Tone of a "needs you" reason. */
export function needsYouTone(reason: string): Tone {
  switch (reason) {
    case "failed":
    case "dead":
      return "failed";
    case "stalled":
    case "budget":
      return "stalled";
    case "corrupt":
      return "remediation";
    default:
      return "plan";
  }
}
