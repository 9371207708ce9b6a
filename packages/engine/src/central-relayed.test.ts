// What issue 28 relays to central monitors, on one real nats-server: a host's own pid checks reach
// the central monitor through the KV, one write per changed answer; a worker killed on the host
// turns `alive: false` centrally with a "dead" needs-you row, and a silent host's workers keep their
// last answer (host stale, never dead). Two central monitors (two durables) show the same fleet,
// and a host silent past --forget-after is dropped by both, its log lines purged from the broker.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRelayPublisher, openBroker, resolveNames } from "@catalyst/relay";
import { NATS_SERVER, type NatsServer, startNatsServer, waitUntil } from "@catalyst/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CentralEngine, createCentralEngine } from "./central.js";
import {
  deadWorkers,
  killChild,
  spawnLivePid,
  withCleanups,
  workerOf as worker,
  writeWorkerSignal,
} from "./central-fleet.test-helper.js";
import { createEngine } from "./engine.js";
import { startPublishing } from "./fleet.js";

const quiet = { info() {}, warn() {}, error() {} };

describe.skipIf(NATS_SERVER === null)("liveness relayed to the central monitor", () => {
  let root = "";
  let server: NatsServer;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "engine-central-live-"));
    server = await startNatsServer(join(root, "store"));
  }, 30_000);
  afterAll(async () => {
    await server?.kill();
    await rm(root, { recursive: true, force: true });
  });

  it("shows a host's answers, flags a worker killed there, and keeps a stale host's workers as they were", async () => {
    await withCleanups(async (cleanups) => {
      const children = [await spawnLivePid(), await spawnLivePid()];
      for (const c of children) cleanups.push(() => killChild(c));
      const dir = join(root, "catalyst");
      for (const [i, child] of children.entries())
        await writeWorkerSignal(dir, "o1", `T-${i + 1}`, { status: "implementing", pid: child.pid });
      // The host: its own engine checks pids every 200 ms, and publishes its dir and its answers.
      const host = createEngine({
        catalystDir: dir,
        githubToken: null,
        historyMs: 0,
        livenessIntervalMs: 200,
      });
      cleanups.push(() => host.stop());
      await host.start();
      const stopPublishing = await startPublishing({
        broker: { servers: [server.url], auth: {}, description: "none" },
        hostName: "box",
        catalystDir: dir,
        stateDir: join(root, "state"),
        logger: quiet,
        liveness: host.parts.liveness,
      });
      let publishing = true;
      cleanups.push(() => (publishing ? stopPublishing() : Promise.resolve()));

      // Every write to a liveness key, counted on the broker itself.
      const broker = await openBroker({ servers: server.url }, resolveNames({}));
      cleanups.push(() => broker.nc.close());
      const writes: string[] = [];
      const watch = await broker.kv.watch({ key: "box.*.=live.*" });
      void (async () => {
        for await (const e of watch) writes.push(`${e.operation} ${e.key}`);
      })();
      cleanups.push(async () => watch.stop());

      const central = createCentralEngine({
        servers: server.url,
        githubToken: null,
        staleAfterMs: 1_500,
        hostsCheckMs: 100,
        historyMs: 0,
      });
      cleanups.push(() => central.stop());
      await central.start();
      expect(central.parts.liveness.health()).toMatchObject({ enabled: true });
      await waitUntil(
        "both workers alive centrally",
        () => ["T-1", "T-2"].every((t) => worker(central.snapshot(), t)?.alive === true),
        20_000,
      );
      expect(worker(central.snapshot(), "T-1")).toMatchObject({ pid: children[0]!.pid, alive: true });
      expect(writes.sort()).toEqual(["PUT box.o1.=live.T-1", "PUT box.o1.=live.T-2"]);

      // T-2's file rewritten after its answer: in the KV its answer now comes first. A central
      // monitor started now still shows it alive (answers are handed over after the files).
      await writeWorkerSignal(dir, "o1", "T-2", { status: "validating", phase: 4, pid: children[1]!.pid });
      await waitUntil(
        "T-2 validating centrally",
        () => worker(central.snapshot(), "T-2")?.status === "validating",
        20_000,
      );
      const late = createCentralEngine({
        servers: server.url,
        githubToken: null,
        durable: "late",
        historyMs: 0,
      });
      cleanups.push(() => late.stop());
      await late.start();
      expect(worker(late.snapshot(), "T-2")).toMatchObject({ status: "validating", alive: true });
      await late.stop();

      // Killed on the host: one more write, for that worker only, and a "dead" row centrally.
      writes.length = 0;
      await killChild(children[0]!);
      await waitUntil("T-1 dead centrally", () => worker(central.snapshot(), "T-1")?.alive === false, 20_000);
      const dead = central.snapshot().needsYou.filter((n) => n.reason === "dead");
      expect(dead.map((n) => [n.orchestrator, n.worker])).toEqual([["box/o1", "T-1"]]);
      // More rounds of checks ran on the host meanwhile: none of them wrote (answers unchanged).
      const later = new Date(Date.now() + 500).toISOString();
      await waitUntil(
        "the host checked again",
        () => (host.parts.liveness.health().lastSuccessAt ?? "") > later,
        10_000,
      );
      expect(writes).toEqual(["PUT box.o1.=live.T-1"]);

      // The host goes silent: stale centrally. T-2 dies meanwhile, which the central cannot know:
      // it keeps its last answer (alive), never dead because its host went quiet.
      await stopPublishing();
      publishing = false;
      await waitUntil("box stale", () => central.snapshot().hosts?.[0]?.stale === true, 20_000);
      await killChild(children[1]!);
      await waitUntil(
        "the host saw T-2 die",
        () => worker(host.snapshot(), "T-2", "o1")?.alive === false,
        20_000,
      );
      expect(worker(central.snapshot(), "T-2")).toMatchObject({ alive: true });
      expect(deadWorkers(central.snapshot())).toEqual(["T-1"]);
    });
  }, 90_000);

  it("two central monitors on one stream show the same fleet; a host silent past forget-after leaves both", async () => {
    const names = { stream: "TWO", subjectPrefix: "two.events", bucket: "two-state" };
    await withCleanups(async (cleanups) => {
      const publishers = [];
      for (const h of ["north", "south"]) {
        const dir = join(root, h);
        await mkdir(join(dir, "events"), { recursive: true });
        for (const t of ["T-1", "T-2"]) await writeWorkerSignal(dir, "o1", t, { status: "implementing" });
        const ts = new Date().toISOString();
        await writeFile(
          join(dir, "events", `${ts.slice(0, 7)}.jsonl`),
          `${JSON.stringify({ ts, orchestrator: "o1", worker: "T-3", event: "worker-failed", detail: null })}\n`,
        );
        const p = createRelayPublisher({
          ...names,
          servers: server.url,
          hostName: h,
          catalystDir: dir,
          stateDir: join(root, "state-two"),
          heartbeatMs: 200,
        });
        cleanups.push(() => p.stop());
        await p.start();
        await p.idle();
        publishers.push(p);
      }
      const centrals: CentralEngine[] = [];
      for (const durable of ["view-a", "view-b"]) {
        const c = createCentralEngine({
          ...names,
          servers: server.url,
          durable,
          githubToken: null,
          staleAfterMs: 1_000,
          forgetAfterMs: 2_000,
          hostsCheckMs: 100,
        });
        cleanups.push(() => c.stop());
        await c.start();
        centrals.push(c);
      }
      const fleet = (c: CentralEngine) =>
        c
          .snapshot()
          .orchestrators.map((o) => [o.id, Object.keys(o.workers).sort(), o.workers["T-3"]?.status])
          .sort();
      const expected = [
        ["north/o1", ["T-1", "T-2", "T-3"], "failed"],
        ["south/o1", ["T-1", "T-2", "T-3"], "failed"],
      ];
      expect(fleet(centrals[0]!)).toEqual(expected);
      expect(fleet(centrals[1]!)).toEqual(expected);
      expect(centrals.map((c) => c.snapshot().hosts?.map((h) => h.name))).toEqual([
        ["north", "south"],
        ["north", "south"],
      ]);

      // "south" goes for good: stale after 1 s, forgotten after 2 s by whichever central looks first.
      await publishers[1]!.stop();
      for (const c of centrals)
        await waitUntil(
          "south forgotten",
          () => JSON.stringify(c.snapshot().hosts?.map((h) => h.name)) === '["north"]',
          20_000,
        );
      for (const c of centrals)
        expect(
          c
            .snapshot()
            .orchestrators.filter((o) => o.host === "south")
            .flatMap((o) => Object.keys(o.workers).filter((w) => w !== "T-3")),
        ).toEqual([]);
      expect(fleet(centrals[0]!)).toEqual(fleet(centrals[1]!));
      // Its log lines went from the broker with it: /api/events has north's line only.
      const files = async () => {
        const out: string[] = [];
        for await (const r of centrals[0]!.readEvents("", {})) out.push(r.file.split("/")[0]!);
        return out.join(",");
      };
      await waitUntil("south's lines purged", async () => (await files()) === "north", 20_000);
    });
  }, 90_000);
});
