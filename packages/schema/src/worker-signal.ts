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
  state: z.string().optional(),
  title: z.string().optional(),
});
export type SignalPr = z.infer<typeof SignalPr>;

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
});
export type WorkerSignal = z.infer<typeof WorkerSignal>;

export { Timestamp };
