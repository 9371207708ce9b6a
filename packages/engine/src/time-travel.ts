// The time-travel door (`@catalyst/engine/time-travel`): the fleet at a past time from the event
// log, folded from the nearest fold checkpoint. It needs only the log readers and fuse, so a CLI
// (catalyst-replay's `--at --snapshot`) loads it without the watchers, the pollers or the relay.

export { removeSupersededCaches } from "./cache-cleanup.js";
export type { FoldAtOptions, FoldAtResult, FoldAtStats } from "./fold-at.js";
export { foldAt, logSignature } from "./fold-at.js";
export type { Checkpoint, CheckpointHeader } from "./fold-checkpoints.js";
export {
  CHECKPOINT_LINES,
  CHECKPOINT_SUBDIR,
  checkpointDir,
  hasCheckpointBefore,
  MAX_CHECKPOINTS,
  readCheckpoint,
  saveCheckpoint,
} from "./fold-checkpoints.js";
export type { HistoricalSnapshot, TimeTravel, TimeTravelOptions } from "./snapshot-at.js";
export { createTimeTravel, TimeTravelBusyError } from "./snapshot-at.js";
