import { z } from "zod";
import { PrState } from "./snapshot.js";
import { Timestamp } from "./timestamp.js";

/** What the GitHub poller learned about one PR. Plain data: fuse folds it into the snapshot. */
export const PrStatus = z.object({
  /** `owner/name`. */
  repo: z.string(),
  number: z.number().int(),
  state: PrState,
  /** Rollup of checks: `pending`, `passing`, `failing`, `merged` or `unknown` (FORMATS §5.8.4). */
  ciStatus: z.string(),
  mergedAt: Timestamp.nullable(),
  reviewDecision: z.string().nullable(),
  isDraft: z.boolean().nullable(),
  mergeable: z.string().nullable(),
  url: z.string().nullable(),
  title: z.string().nullable(),
  /** When GitHub answered with this data. */
  checkedAt: Timestamp,
  /** True when the latest attempt failed and this is the last known data. */
  stale: z.boolean(),
});
export type PrStatus = z.infer<typeof PrStatus>;

/** Why a liveness answer is what it is. */
export const LivenessReason = z.enum([
  "alive",
  "eperm",
  "dead",
  "reused",
  "no-pid",
  "invalid-pid",
  // Execution-core workers have a Claude Code bg job instead of a pid (FORMATS-TODAY §3.5):
  // `job-alive`, `job-dead` (dir gone or a terminal state), `job-blocked` (waiting on you, alive null),
  // `no-job` (no job id: unknown, never dead).
  "job-alive",
  "job-dead",
  "job-blocked",
  "no-job",
]);
export type LivenessReason = z.infer<typeof LivenessReason>;

/** One pid check. `alive` is null when the pid is missing or invalid ("unknown", not dead). */
export const LivenessResult = z.object({
  pid: z.number().nullable(),
  alive: z.boolean().nullable(),
  reason: LivenessReason,
  checkedAt: Timestamp,
  /** The bg job id checked, for an execution-core worker (then `pid` is null). */
  jobId: z.string().nullable().optional(),
  /** The job's raw `state` when one was read (`working`, `blocked`, …). */
  jobState: z.string().nullable().optional(),
});
export type LivenessResult = z.infer<typeof LivenessResult>;

/** Self-reported health of a poller or watcher, for `/healthz`. */
export const ComponentHealth = z.object({
  enabled: z.boolean(),
  /** Why it is disabled or degraded (never contains a token). */
  reason: z.string().nullable(),
  lastSuccessAt: Timestamp.nullable(),
  lastErrorAt: Timestamp.nullable(),
  lastError: z.string().nullable(),
  nextRunAt: Timestamp.nullable(),
});
export type ComponentHealth = z.infer<typeof ComponentHealth>;

/** A fresh health record of an enabled component that has not run yet (each caller gets its own to update). */
export function initialHealth(): ComponentHealth {
  return {
    enabled: true,
    reason: null,
    lastSuccessAt: null,
    lastErrorAt: null,
    lastError: null,
    nextRunAt: null,
  };
}
