// The central engine on a real nats-server: a host published by the relay comes in with `host`
// and namespaced ids, start() resolves with everything in, and a silent host turns stale without
// its workers changing.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRelayPublisher } from "@catalyst/relay";
import type { Delta } from "@catalyst/schema";
import { NATS_SERVER, startNatsServer, waitUntil } from "@catalyst/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { createCentralEngine } from "./central.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

describe.skipIf(NATS_SERVER === null)("createCentralEngine", () => {
  it("fuses a published host, marks it stale when it goes silent, and never marks its workers dead", async () => {
    const root = await mkdtemp(join(tmpdir(), "engine-central-"));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const server = await startNatsServer(join(root, "store"));
    cleanups.push(() => server.kill());
    const dir = join(root, "catalyst");
    await mkdir(join(dir, "runs", "o1", "workers"), { recursive: true });
    await mkdir(join(dir, "events"), { recursive: true });
    await writeFile(
      join(dir, "runs", "o1", "workers", "T-1.json"),
      JSON.stringify({ ticket: "T-1", status: "implementing", phase: 3, pid: 999_999 }),
    );
    const ts = new Date().toISOString();
    await writeFile(
      join(dir, "events", `${ts.slice(0, 7)}.jsonl`),
      `${JSON.stringify({ ts, orchestrator: "o1", worker: "T-2", event: "worker-failed", detail: null })}\n`,
    );
    const publisher = createRelayPublisher({
      servers: server.url,
      hostName: "box",
      catalystDir: dir,
      stateDir: join(root, "state"),
      heartbeatMs: 200,
    });
    cleanups.push(() => publisher.stop());
    await publisher.start();
    await publisher.idle();

    const pruned: { hosts: string[]; result: { weeks: number } | { error: unknown } }[] = [];
    const engine = createCentralEngine({
      servers: server.url,
      githubToken: null,
      staleAfterMs: 1_500,
      hostsCheckMs: 100,
      // The time index of a host silent past the stale threshold is pruned by the central.
      indexPruneEveryMs: 200,
      onIndexPruned: (hosts, result) => pruned.push({ hosts: [...hosts], result }),
    });
    cleanups.push(() => engine.stop());
    const deltas: Delta[] = [];
    engine.feed.subscribe((batch) => deltas.push(...batch));
    await engine.start();
    // Loaded: the KV's values and the stream's history are in before start() resolves.
    expect(engine.loading()).toBeNull();
    const snap = engine.snapshot();
    expect(snap.orchestrators.map((o) => [o.id, o.host])).toEqual([["box/o1", "box"]]);
    const workers = snap.orchestrators[0]!.workers;
    expect(workers["T-1"]).toMatchObject({ status: "implementing", alive: null });
    expect(workers["T-2"]).toMatchObject({ status: "failed" }); // only the log says so
    expect(snap.hosts).toEqual([{ name: "box", lastHeartbeat: expect.any(String), stale: false }]);
    expect(engine.parts.liveness.health()).toMatchObject({ enabled: true }); // relayed from the host
    expect(typeof engine.parts.readEvents).toBe("function");

    expect(pruned).toEqual([]); // box is publishing: its publisher prunes its own
    deltas.length = 0;
    await publisher.stop();
    await waitUntil("box stale", () => engine.snapshot().hosts?.[0]?.stale === true, 30_000);
    const after = engine.snapshot().orchestrators[0]!.workers;
    expect(after).toEqual(workers);
    expect(deltas.map((d) => d.event).filter((e) => e !== "hosts")).toEqual([]);
    expect(deltas.filter((d) => d.event === "hosts")).toHaveLength(1);
    expect(engine.parts.hosts()[0]).toMatchObject({ name: "box", stale: true });
    // Only once box went silent: its index looked at (nothing the stream dropped, no week to prune).
    await waitUntil("box's index pruned by the central", () => pruned.length > 0, 30_000);
    expect(pruned[0]).toEqual({ hosts: ["box"], result: { weeks: 0 } });
  }, 90_000);
});
