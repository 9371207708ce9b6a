// The one public door of @catalyst/fuse: everything not listed here is internal.
export { applyDelta } from "./apply-delta.js";
export { CORRUPT_STATUS } from "./build-worker-view.js";
export { compareNeedsYou } from "./compare-needs-you.js";
export type { CreateFuseOptions, Fuse } from "./create-fuse.js";
export { createFuse } from "./create-fuse.js";
export type { DeltaDraft } from "./delta-draft.js";
export { FuseOptionsError, InvalidTimeError } from "./errors.js";
export { foldEvents } from "./fold-events.js";
export type { FuseOptions } from "./options.js";
export { DEFAULT_RING_BYTES, DEFAULT_RING_SIZE, DEFAULT_STALL_AFTER_MS } from "./options.js";
export { reduce } from "./reduce.js";
export type { SpendTracker, SpendTrackerOptions } from "./spend-tracker.js";
export { createSpendTracker } from "./spend-tracker.js";
export type { FuseState } from "./state.js";
export { createInitialState } from "./state.js";
export type { PollTargets } from "./target-index.js";
export { livenessTargetOf, prRefOf } from "./target-index.js";
export { toSnapshot } from "./to-snapshot.js";
