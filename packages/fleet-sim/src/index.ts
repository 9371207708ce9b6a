export type { LineShape, LineShapes } from "./append-event.js";
export { buildTombstone, encodeEventLine } from "./append-event.js";
export type { DemoFleet, DemoFleetOptions } from "./demo-fleet.js";
export { createDemoFleet } from "./demo-fleet.js";
export {
  DemoDirNotEmptyError,
  DemoFleetStoppedError,
  StateLockTimeoutError,
  WorkerProcessSpawnError,
} from "./errors.js";
export type { ExecutionCoreSim, ExecutionCoreSimOptions, TicketFate } from "./execution-core-sim.js";
export { createExecutionCoreSim } from "./execution-core-sim.js";
export type { SeededRandom } from "./seeded-random.js";
export { createSeededRandom } from "./seeded-random.js";
export type { SpawnSleeper } from "./worker-processes.js";
