import { z } from "zod";
import { OptionalTimestamp } from "./timestamp.js";
import { Cost } from "./worker-signal.js";

export {
  ANCILLARY_PHASES,
  columnOfPhase,
  PIPELINE_COLUMNS,
  PIPELINE_PHASES,
  type PipelineColumn,
  type PipelinePhase,
} from "./constants.js";

/** The `pr` of a `phase-pr.json` (schema: number and url only). */
export const PhasePr = z.looseObject({
  number: z.number().int().optional(),
  url: z.string().optional(),
});

/** `host` of a phase file (`a99dc0b7`): a nested object. */
export const PhaseHost = z.looseObject({
  name: z.string().optional(),
  id: z.string().optional(),
});

/**
 * One execution-core phase file, `execution-core/workers/<TICKET>/phase-<name>.json` (FORMATS-TODAY
 * §3.2), or a per-phase overlay of an orchestrate worker (§2.3). Nothing is required (R3.4: files
 * written before `3ebbf304` lack `status`, `phase-monitor-deploy.json` lacks most schema fields):
 * the ticket comes from the directory and the phase from the file name. Fields are checked when
 * present; a bad one is dropped with a warning. Unknown keys are kept.
 */
export const PhaseSignal = z.looseObject({
  ticket: z.string().optional(),
  phase: z.string().optional(),
  orchestrator: z.string().optional(),
  model: z.string().optional(),
  turnCap: z.number().int().optional(),
  status: z.string().optional(),
  executor: z.string().optional(),
  bg_job_id: z.string().nullable().optional(),
  bgJobId: z.string().nullable().optional(),
  worktreePath: z.string().nullable().optional(),
  startedAt: OptionalTimestamp,
  updatedAt: OptionalTimestamp,
  completedAt: OptionalTimestamp,
  failureReason: z.string().nullable().optional(),
  attentionReason: z.string().nullable().optional(),
  stalledReason: z.string().nullable().optional(),
  handoffPath: z.string().nullable().optional(),
  catalystSessionId: z.string().nullable().optional(),
  pr: PhasePr.nullable().optional(),
  phaseTimestamps: z.record(z.string(), z.unknown()).optional(),
  yieldedAt: OptionalTimestamp,
  firstYieldedAt: OptionalTimestamp,
  yieldMs: z.number().int().min(1).optional(),
  generation: z.number().int().optional(),
  attempt: z.number().int().optional(),
  host: PhaseHost.nullable().optional(),
  needsHumanSince: OptionalTimestamp,
  parkedFrom: z.string().nullable().optional(),
  outcome: z.string().nullable().optional(),
  assertedBy: z.string().nullable().optional(),
  cost: Cost.nullable().optional(),
});
export type PhaseSignal = z.infer<typeof PhaseSignal>;

/**
 * Claude Code's `~/.claude/jobs/<bg_job_id>/state.json` (FORMATS-TODAY §3.5, external contract).
 * Only the fields liveness reads are checked; everything else is kept.
 */
export const JobState = z.looseObject({
  state: z.string().optional(),
  firstTerminalAt: z.unknown().optional(),
  sessionId: z.string().optional(),
  resumeSessionId: z.string().optional(),
  name: z.string().optional(),
});
export type JobState = z.infer<typeof JobState>;
