import { z } from "zod";
import { KNOWN_WORKER_STATUSES, type KnownWorkerStatus } from "./constants.js";

export {
  ABANDONED_WORKER_STATUSES,
  isKnownWorkerStatus,
  isTerminalStatus,
  KNOWN_ATTENTION_TYPES,
  KNOWN_CI_STATUSES,
  KNOWN_ORCHESTRATOR_STATUSES,
  KNOWN_WAVE_STATUSES,
  KNOWN_WORKER_STATUSES,
  type KnownWorkerStatus,
  phaseOfStatus,
  TERMINAL_WORKER_STATUSES,
  WORKER_LIFECYCLE,
} from "./constants.js";

/** A worker status: one we know, or any other string a newer writer used (kept verbatim). */
export type WorkerStatus = KnownWorkerStatus | (string & {});
export const WorkerStatus = z.string().meta({
  description: "Worker status; known values are listed in KNOWN_WORKER_STATUSES, others are kept verbatim",
  examples: [...KNOWN_WORKER_STATUSES],
}) as z.ZodType<WorkerStatus, string>;
