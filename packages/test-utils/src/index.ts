// The seeded PRNG is @catalyst/fleet-sim's; tests of packages that may not depend on it take it here.

export { createSeededRandom, type SeededRandom } from "@catalyst/fleet-sim";
export type { AlertReceiver, ReceivedRequest } from "./alert-receiver.js";
export { startAlertReceiver } from "./alert-receiver.js";
export * from "./fleet-fixture.js";
export type { NatsCluster, NatsClusterNode } from "./nats-cluster.js";
export { startNatsCluster } from "./nats-cluster.js";
export type { NatsServer, NatsServerOptions } from "./nats-server.js";
export { NATS_SERVER, startNatsServer } from "./nats-server.js";
export type { TestPushKeys } from "./push-decrypt.js";
export { createTestPushKeys } from "./push-decrypt.js";
export * from "./scripted-feed.js";
export type { ScriptedSseServer, ScriptedSseServerOptions } from "./scripted-sse-server.js";
export { startScriptedSseServer } from "./scripted-sse-server.js";
export type { BinName, MonitorRun, SpawnBinOptions, SpawnedBin } from "./spawn-bin.js";
export {
  BIN_SOURCES,
  binNodeArgs,
  killAllSpawned,
  REPO_ROOT,
  spawnBin,
  spawnCommand,
  spawnNode,
  startMonitorBin,
} from "./spawn-bin.js";
export type { WaitUntilOptions } from "./wait-until.js";
export { waitUntil } from "./wait-until.js";
export { writeAtomic } from "./write-atomic.js";
