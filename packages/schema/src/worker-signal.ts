import { z } from "zod";
import { WorkerStatus } from "./status.js";
import { OptionalTimestamp, Timestamp } from "./timestamp.js";

/** Token usage and cost; later writers add the full usage object (FORMATS §2.2). */
export const Cost = z.looseObject({
  costUSD: z.number().optional(),
  inputTokens: z.number().optional(),
  outputTokens: z.number().optional(),
  cacheReadTokens: z.number().optional(),
  cacheCreationTokens: z.number().optional(),
  numTurns: z.number().optional(),
  durationMs: z.number().optional(),
  durationApiMs: z.number().optional(),
  model: z.string().nullable().optional(),
});
export type Cost = z.infer<typeof Cost>;

/** The `pr` object of a signal file (FORMATS §2.4). `ciStatus` is an open string. */
export const SignalPr = z.looseObject({
  number: z.number().int().optional(),
  url: z.string().optional(),
  ciStatus: z.string().optional(),
  prOpenedAt: OptionalTimestamp,
  autoMergeArmedAt: OptionalTimestamp,
  mergedAt: OptionalTimestamp,
  mergeCommitSha: z.string().nullable().optional(),
  mergeStateStatus: z.string().nullable().optional(),
  isDraft: z.boolean().nullable().optional(),
  state: z.string().optional(),
  title: z.string().optional(),
});
export type SignalPr = z.infer<typeof SignalPr>;

/** One entry of `continuations` (FORMATS-TODAY §2.2): all three fields required, else dropped (R2.11). */
export const Continuation = z.looseObject({
  ts: z.string(),
  sessionId: z.string(),
  handoffPath: z.string(),
});
export type Continuation = z.infer<typeof Continuation>;

/** `postMergeVerification` (CTL-130): the result of verification after merge. */
export const PostMergeVerification = z.looseObject({
  result: z.string().optional(),
  verifiedAt: OptionalTimestamp,
  remediationTicket: z.string().nullable().optional(),
});
export type PostMergeVerification = z.infer<typeof PostMergeVerification>;

/** `deploy` (R2.4): each field type-checked on its own (R2.11). */
export const Deploy = z.looseObject({
  startedAt: OptionalTimestamp,
  completedAt: OptionalTimestamp,
  environment: z.string().nullable().optional(),
  deploymentId: z.union([z.string(), z.number()]).nullable().optional(),
  result: z.string().nullable().optional(),
  failedAttempts: z.number().int().min(0).nullable().optional(),
  lastFailureState: z.string().nullable().optional(),
});
export type Deploy = z.infer<typeof Deploy>;

/**
 * A worker signal file, `<orch-dir>/workers/<TICKET>.json` (FORMATS §2).
 * Required: `ticket`, `status`, `phase`; the other template fields are checked when present,
 * because some writers (orchestrate-followup, an agent editing in place) omit them.
 * Unknown keys are kept.
 */
export const WorkerSignal = z.looseObject({
  ticket: z.string(),
  orchestrator: z.string().optional(),
  workerName: z.string().optional(),
  status: WorkerStatus,
  phase: z.number().int().min(0),
  startedAt: OptionalTimestamp,
  updatedAt: OptionalTimestamp,
  worktreePath: z.string().nullable().optional(),
  // §2.6: a missing pid, null or a non-number all mean "no pid".
  pid: z.number().int().nullable().optional().catch(null),
  lastHeartbeat: OptionalTimestamp,
  phaseTimestamps: z.record(z.string(), z.unknown()).optional(),
  completedAt: OptionalTimestamp,
  cost: Cost.nullable().optional(),
  // The pr field is an object in signal files; some later event payloads carry a bare number.
  pr: z.union([SignalPr, z.number().int()]).nullable().optional(),
  linearState: z.string().nullable().optional(),
  definitionOfDone: z.unknown().optional(),
  error: z.string().nullable().optional(),
  fixupCommit: z.string().nullable().optional(),
  followUpTo: z.string().nullable().optional(),
  label: z.string().nullable().optional(),
  wave: z.number().int().nullable().optional(),
  failureReason: z.string().nullable().optional(),
  // FORMATS-TODAY §2.2 (template fields since 168b0093) and R2.4 (written by code, not in the template).
  blockedSince: OptionalTimestamp,
  fixupAttempts: z.number().int().min(0).nullable().optional(),
  lastFixupDispatchedAt: OptionalTimestamp,
  continuationCount: z.number().int().min(0).optional(),
  continuations: z.array(Continuation).optional(),
  handoffPath: z.string().nullable().optional(),
  postMergeVerification: PostMergeVerification.nullable().optional(),
  lastReviveReason: z.string().nullable().optional(),
  lastApiErrorUuid: z.string().nullable().optional(),
  reviveCount: z.number().int().min(0).optional(),
  stalledReason: z.string().nullable().optional(),
  attentionReason: z.string().nullable().optional(),
  phaseName: z.string().nullable().optional(),
  deploy: Deploy.nullable().optional(),
  dirtySince: OptionalTimestamp,
});
export type WorkerSignal = z.infer<typeof WorkerSignal>;

export { Timestamp };
