// A host's liveness answer read by a running central monitor before that host's files (the KV
// hands values over in the order they were written, and a publisher writes its answers apart from
// its file changes): the answer is kept and applied when the worker appears, so a dead worker is a
// "dead" row at once, not alive-unknown until its next change. Real nats-server, real pid.
import { join } from "node:path";
import { createRelayPublisher, openBroker, resolveNames } from "@catalyst/relay";
import type { LivenessResult } from "@catalyst/schema";
import {
  NATS_SKIP_REASON,
  type NatsServer,
  startTestBroker,
  type TestBroker,
  waitUntil,
} from "@catalyst/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCentralEngine } from "./central.js";
import {
  deadPid,
  deadWorkers,
  withCleanups,
  workerOf,
  writeWorkerSignal,
} from "./central-fleet.test-helper.js";

describe.skipIf(NATS_SKIP_REASON !== null)(
  "central monitor: a liveness answer before the worker's file",
  () => {
    let broker: TestBroker | null = null;
    let server: NatsServer;
    let root = "";
    beforeAll(async () => {
      broker = await startTestBroker("engine-central-first");
      server = broker.server;
      root = broker.root;
    }, 30_000);
    afterAll(async () => {
      await broker?.stop();
    });

    it("keeps the answer and shows the worker dead when its file arrives", async () => {
      await withCleanups(async (cleanups) => {
        const pid = await deadPid();
        const central = createCentralEngine({ servers: server.url, githubToken: null, historyMs: 0 });
        cleanups.push(() => central.stop());
        await central.start();

        // The host's answer reaches the broker first (its publisher wrote it, its files still queued).
        const broker = await openBroker({ servers: server.url }, resolveNames({}));
        cleanups.push(() => broker.nc.close());
        const result: LivenessResult = {
          pid,
          alive: false,
          reason: "dead",
          checkedAt: new Date().toISOString(),
        };
        await broker.kv.put(
          "box.o1.=live.T-1",
          JSON.stringify({ host: "box", kind: "liveness", orchestrator: "o1", worker: "T-1", result }),
        );
        await waitUntil(
          "the answer reached the central monitor",
          () => central.parts.liveness.health().lastSuccessAt !== null,
          20_000,
        );
        expect(central.snapshot().orchestrators).toEqual([]);

        // Then the host's files.
        const dir = join(root, "catalyst");
        await writeWorkerSignal(dir, "o1", "T-1", { status: "implementing", pid });
        const publisher = createRelayPublisher({
          servers: server.url,
          hostName: "box",
          catalystDir: dir,
          stateDir: join(root, "state"),
        });
        cleanups.push(() => publisher.stop());
        await publisher.start();
        await waitUntil(
          "T-1 at the central monitor",
          () => workerOf(central.snapshot(), "T-1") !== undefined,
          20_000,
        );
        expect(workerOf(central.snapshot(), "T-1")).toMatchObject({ pid, alive: false });
        expect(deadWorkers(central.snapshot())).toEqual(["T-1"]);
      });
    }, 60_000);
  },
);
