export type { BinName, MonitorRun, SpawnBinOptions, SpawnedBin } from "./spawn-bin.js";
export {
  BIN_SOURCES,
  binNodeArgs,
  killAllSpawned,
  REPO_ROOT,
  spawnBin,
  spawnNode,
  startMonitorBin,
} from "./spawn-bin.js";
export { writeAtomic } from "./write-atomic.js";
