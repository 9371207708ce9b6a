// The one public door of @catalyst/fuse: everything not listed here is internal.
export { applyDelta } from "./apply-delta.js";
export { EXECUTION_CORE_ID } from "./build-pipeline-view.js";
export { CORRUPT_STATUS } from "./build-worker-view.js";
export { compareNeedsYou } from "./compare-needs-you.js";
export type { ApplyOptions, CreateFuseOptions, Fuse } from "./create-fuse.js";
export { createFuse } from "./create-fuse.js";
export type { DeltaDraft } from "./delta-draft.js";
export type { CurrentPhase, DerivedPipeline, PhaseFiles } from "./derive-pipeline.js";
export {
  applyRemediate,
  BOARD_TERMINAL,
  deriveCurrentPhase,
  derivePipeline,
  YIELD_CEILING_MS,
} from "./derive-pipeline.js";
export { FuseOptionsError, InvalidTimeError, StateImportError } from "./errors.js";
export { foldEvents } from "./fold-events.js";
export type {
  ExportHostStateOptions,
  HostStatePiece,
  LogLineReach,
  MergeHostStatesOptions,
} from "./host-pieces.js";
export {
  exportHostState,
  HOST_PIECE_VERSION,
  logLineReach,
  mergeHostStates,
  stateHosts,
} from "./host-pieces.js";
export type { FuseOptions } from "./options.js";
export { DEFAULT_RING_BYTES, DEFAULT_RING_SIZE, DEFAULT_STALL_AFTER_MS } from "./options.js";
export { overlaySignal, selectOverlay } from "./phase-overlay.js";
export { reduce } from "./reduce.js";
export type { SpendTracker, SpendTrackerOptions } from "./spend-tracker.js";
export { createSpendTracker } from "./spend-tracker.js";
export type { FuseState } from "./state.js";
export { createInitialState } from "./state.js";
export type { FuseStateExport, ImportStateOptions } from "./state-export.js";
export {
  exportState,
  exportStateJson,
  importState,
  restoreExportHoles,
  STATE_EXPORT_VERSION,
} from "./state-export.js";
export type { PollTargets } from "./target-index.js";
export { livenessTargetOf, prRefOf } from "./target-index.js";
export { toSnapshot, toSnapshotSteps } from "./to-snapshot.js";
