// The central monitor's first load of the broker's KV (issue 28, P11: 50,000 workers): each host's
// files and its relayed pid answers come in one batch, grouped by orchestrator, so each
// orchestrator is published once with its workers' answers, not once for its files and again for
// the answers read after them. Counted (publishes per orchestrator and worker), never timed; and
// the fleet it builds is the one a central that got every value one at a time (live) shows.
// Real nats-server, real publishers.
import { join } from "node:path";
import { createRelayPublisher, openBroker, resolveNames } from "@catalyst/relay";
import type { Delta, LivenessResult, Snapshot } from "@catalyst/schema";
import {
  NATS_SKIP_REASON,
  type NatsServer,
  startTestBroker,
  type TestBroker,
  waitUntil,
} from "@catalyst/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCentralEngine } from "./central.js";
import { withCleanups, writeWorkerSignal } from "./central-fleet.test-helper.js";

const HOSTS = ["box", "pc"] as const;
const ORCHESTRATORS = ["o1", "o2", "o3"] as const;
const WORKERS = 4;

function everyWorker(snap: Snapshot): Array<{ id: string; alive: boolean | null | undefined }> {
  return snap.orchestrators.flatMap((o) =>
    Object.entries(o.workers).map(([ticket, w]) => ({ id: `${o.id}/${ticket}`, alive: w.alive })),
  );
}

/** What the two centrals must agree on: the fleet, its needs-you rows and hosts, not the clocks of the applies. */
function fleetOf(snap: Snapshot) {
  return {
    orchestrators: snap.orchestrators,
    needsYou: snap.needsYou.map(({ since: _since, ...row }) => row),
  };
}

describe.skipIf(NATS_SKIP_REASON !== null)("central monitor: the KV's first load", () => {
  let broker: TestBroker | null = null;
  let server: NatsServer;
  let root = "";
  beforeAll(async () => {
    broker = await startTestBroker("engine-central-first-load");
    server = broker.server;
    root = broker.root;
  }, 30_000);
  afterAll(async () => {
    await broker?.stop();
  });

  it("publishes each orchestrator once, with its workers' relayed answers, and shows what a live central shows", async () => {
    await withCleanups(async (cleanups) => {
      // A central running before anything is written gets every value one at a time (the watch).
      const live = createCentralEngine({ servers: server.url, githubToken: null, historyMs: 0 });
      cleanups.push(() => live.stop());
      await live.start();

      for (const host of HOSTS) {
        const dir = join(root, host, "catalyst");
        for (const o of ORCHESTRATORS)
          for (let w = 0; w < WORKERS; w++)
            await writeWorkerSignal(dir, o, `T-${w}`, { status: "implementing", pid: 100_000 + w });
        const publisher = createRelayPublisher({
          servers: server.url,
          hostName: host,
          catalystDir: dir,
          stateDir: join(root, host, "state"),
        });
        cleanups.push(() => publisher.stop());
        await publisher.start();
      }
      const total = HOSTS.length * ORCHESTRATORS.length * WORKERS;
      await waitUntil(
        "every file at the live central",
        () => everyWorker(live.snapshot()).length === total,
        20_000,
      );

      // Then each host's answers, after its files (as a publisher's poller relays them).
      const kv = await openBroker({ servers: server.url }, resolveNames({}));
      cleanups.push(() => kv.nc.close());
      for (const host of HOSTS)
        for (const o of ORCHESTRATORS)
          for (let w = 0; w < WORKERS; w++) {
            const alive = w !== 1; // one dead worker per orchestrator
            const result: LivenessResult = {
              pid: 100_000 + w,
              alive,
              reason: alive ? "alive" : "dead",
              checkedAt: new Date().toISOString(),
            };
            await kv.kv.put(
              `${host}.${o}.=live.T-${w}`,
              JSON.stringify({ host, kind: "liveness", orchestrator: o, worker: `T-${w}`, result }),
            );
          }
      await waitUntil(
        "every answer at the live central",
        () => everyWorker(live.snapshot()).every((w) => typeof w.alive === "boolean"),
        20_000,
      );

      // A central started now reads all of it in its first load.
      const cold = createCentralEngine({ servers: server.url, githubToken: null, historyMs: 0 });
      cleanups.push(() => cold.stop());
      const published = new Map<string, number>();
      const workerDeltas = new Map<string, number>();
      const count = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
      const unsubscribe = cold.feed.subscribe((deltas: Delta[]) => {
        for (const d of deltas) {
          if (d.event === "orchestrator-update") count(published, d.data.orchestrator);
          else if (d.event === "worker-update")
            count(workerDeltas, `${d.data.orchestrator}/${d.data.worker}`);
          else if (d.event === "liveness-change")
            count(workerDeltas, `${d.data.orchestrator}/${d.data.worker}`);
        }
      });
      cleanups.push(async () => unsubscribe());
      await cold.start();

      // Each orchestrator published once, each worker sent once (built with its answer).
      const once = (keys: string[]) => Object.fromEntries(keys.map((k) => [k, 1]));
      const ids = HOSTS.flatMap((h) => ORCHESTRATORS.map((o) => `${h}/${o}`));
      expect(Object.fromEntries(published)).toEqual(once(ids));
      expect(Object.fromEntries(workerDeltas)).toEqual(
        once(ids.flatMap((id) => Array.from({ length: WORKERS }, (_, w) => `${id}/T-${w}`))),
      );
      expect(cold.snapshot().loading ?? null).toBeNull();
      expect(everyWorker(cold.snapshot()).filter((w) => w.alive === false)).toHaveLength(
        HOSTS.length * ORCHESTRATORS.length,
      );
      expect(fleetOf(cold.snapshot())).toEqual(fleetOf(live.snapshot()));
    });
  }, 60_000);
});
