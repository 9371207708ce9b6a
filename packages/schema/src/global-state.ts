import { z } from "zod";
import { WorkerStatus } from "./status.js";
import { OptionalTimestamp } from "./timestamp.js";
import { Cost } from "./worker-signal.js";

/** Usage counters (FORMATS §3.5); mirrors `claude --output-format json`. */
export const Usage = Cost;
export type Usage = z.infer<typeof Usage>;

/** One attention item, newest first in the array (FORMATS §3.5). `type` is an open string. */
export const AttentionItem = z.looseObject({
  type: z.string(),
  ticketId: z.string().nullable().optional(),
  message: z.string().optional(),
  since: OptionalTimestamp,
});
export type AttentionItem = z.infer<typeof AttentionItem>;

/** Progress counters of an orchestrator (FORMATS §3.3). */
export const Progress = z.looseObject({
  totalTickets: z.number().int().optional(),
  completedTickets: z.number().int().optional(),
  failedTickets: z.number().int().optional(),
  inProgressTickets: z.number().int().optional(),
  currentWave: z.number().int().optional(),
  totalWaves: z.number().int().optional(),
});
export type Progress = z.infer<typeof Progress>;

/** The PR block of a global worker entry: writers store more than the template's enum allows. */
export const GlobalWorkerPr = z.looseObject({
  number: z.number().int().optional(),
  url: z.string().optional(),
  ciStatus: z.string().optional(),
  prOpenedAt: OptionalTimestamp,
  autoMergeArmedAt: OptionalTimestamp,
  mergedAt: OptionalTimestamp,
});

/**
 * `orchestrators[id].workers[ticket]` (FORMATS §3.4). A `worker` call on an unknown ticket creates
 * an entry with only the fields its filter set, so every field is optional here.
 */
export const GlobalWorker = z.looseObject({
  ticketId: z.string().optional(),
  title: z.string().nullable().optional(),
  status: WorkerStatus.optional(),
  phase: z.number().int().min(0).optional(),
  branch: z.string().nullable().optional(),
  pr: GlobalWorkerPr.nullable().optional(),
  updatedAt: OptionalTimestamp,
  needsAttention: z.boolean().optional(),
  attentionReason: z.string().nullable().optional(),
  usage: Usage.nullable().optional(),
  label: z.string().nullable().optional(),
});
export type GlobalWorker = z.infer<typeof GlobalWorker>;

/** One orchestrator entry of the global state (FORMATS §3.2); partial entries exist in practice. */
export const OrchestratorEntry = z.looseObject({
  id: z.string().optional(),
  projectKey: z.string().optional(),
  repository: z.string().optional(),
  baseBranch: z.string().optional(),
  status: z.string().optional(),
  startedAt: OptionalTimestamp,
  updatedAt: OptionalTimestamp,
  completedAt: OptionalTimestamp,
  lastHeartbeat: OptionalTimestamp,
  worktreeDir: z.string().optional(),
  stateFile: z.string().optional(),
  progress: Progress.optional(),
  workers: z.record(z.string(), GlobalWorker).optional(),
  usage: Usage.nullable().optional(),
  // resolve-attention on a null array leaves it null (§6).
  attention: z.array(AttentionItem).nullable().optional(),
});
export type OrchestratorEntry = z.infer<typeof OrchestratorEntry>;

/** `$CATALYST_DIR/state.json` (FORMATS §3.1). Only active orchestrators are listed. */
export const GlobalState = z.looseObject({
  version: z.string().optional(),
  lastUpdated: OptionalTimestamp,
  orchestrators: z.record(z.string(), OrchestratorEntry),
});
export type GlobalState = z.infer<typeof GlobalState>;
