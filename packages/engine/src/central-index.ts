// The door `@catalyst/engine/central`: the central monitor of several machines, read from NATS
// JetStream, and its time travel. A door of its own so that the main door never loads the NATS
// client: `createFleet` loads the central engine only when a broker is given (`--nats`).
export type { CentralEngine, CentralEngineOptions, CentralOptions, CentralParts } from "./central.js";
export {
  buildCentralParts,
  createCentralEngine,
  DEFAULT_FORGET_AFTER_MS,
  DEFAULT_STALE_AFTER_MS,
} from "./central.js";
export type {
  CentralFoldResult,
  CentralFoldStats,
  CentralTimeTravel,
  CentralTimeTravelOptions,
  CentralTimeTravelServiceOptions,
} from "./central-time-travel.js";
export { centralCheckpointDir, createCentralTimeTravel, foldCentralAt } from "./central-time-travel.js";
