// The door of @catalyst/test-utils (private, for tests): every helper other members' tests use,
// by name. Chromium is `@catalyst/test-utils/browser`, the fake GitHub `@catalyst/test-utils/fake-github`,
// a nats-server `@catalyst/test-utils/nats-server` (no other member behind it), the benches' helpers
// `@catalyst/test-utils/bench`.
// The seeded PRNG is @catalyst/fleet-sim's; tests of packages that may not depend on it take it here.

export { createSeededRandom, type SeededRandom } from "@catalyst/fleet-sim";
export type { AlertReceiver, ReceivedRequest } from "./alert-receiver.js";
export { startAlertReceiver } from "./alert-receiver.js";
export {
  fleetSnapshot,
  hostsUpdate,
  multiHostSnapshot,
  orchestratorView,
  T0,
  workerUpdate,
  workerView,
} from "./fleet-fixture.js";
export type { NatsCluster } from "./nats-cluster.js";
export { startNatsCluster } from "./nats-cluster.js";
export type { NatsServer, NatsServerOptions, TestBroker } from "./nats-server.js";
export { NATS_SERVER, NATS_SKIP_REASON, startNatsServer, startTestBroker } from "./nats-server.js";
export type { TestPushKeys } from "./push-decrypt.js";
export { createTestPushKeys } from "./push-decrypt.js";
export type { ScriptedFeed } from "./scripted-feed.js";
export { createScriptedFeed, emptySnapshot, removedDraft } from "./scripted-feed.js";
export type { ScriptedSseServer, ScriptedSseServerOptions } from "./scripted-sse-server.js";
export { startScriptedSseServer } from "./scripted-sse-server.js";
export type {
  BinName,
  ListeningChild,
  MonitorRun,
  SpawnBinOptions,
  SpawnedBin,
  StartListeningOptions,
} from "./spawn-bin.js";
export {
  binNodeArgs,
  killAllSpawned,
  REPO_ROOT,
  spawnBin,
  spawnCommand,
  startListening,
  startMonitorBin,
  waitForListening,
} from "./spawn-bin.js";
export { tombstoneLine } from "./tombstone.js";
export type { WaitUntilOptions } from "./wait-until.js";
export { waitUntil } from "./wait-until.js";
export { writeAtomic } from "./write-atomic.js";
