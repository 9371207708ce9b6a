import { mkdir, mkdtemp, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDemoFleet, type DemoFleet } from "@catalyst/fleet-sim";
import type { LogRecord, SourceChange } from "@catalyst/schema";
import { NATS_SERVER, type NatsServer, startNatsServer, waitUntil } from "@catalyst/test-utils";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterEach, describe, expect, it } from "vitest";
import { createRelayConsumer, type RelayConsumer } from "./consumer.js";
import { cursorPath } from "./cursor.js";

import { createRelayPublisher, type RelayPublisher } from "./publisher.js";
import { readRelayEvents } from "./read-relay-events.js";
import { type ChildPublisher, killChild, linesOnDisk, spawnPublisher } from "./relay-hosts.test-helper.js";

const skipReason = NATS_SERVER
  ? null
  : "nats-server is not installed (apt-get install nats-server; .ci/run does)";
if (skipReason) console.warn(`@catalyst/relay broker tests skipped: ${skipReason}`);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

interface Host {
  name: string;
  dir: string;
  fleet: DemoFleet;
  publisher: RelayPublisher;
}

async function streamMessages(url: string): Promise<number> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    return (await jsm.streams.info("CATALYST_EVENTS")).state.messages;
  } finally {
    await nc.close();
  }
}

describe.skipIf(skipReason !== null)("relay through a real nats-server", () => {
  async function setup(hostCount: number) {
    const root = await mkdtemp(join(tmpdir(), "relay-"));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const server = await startNatsServer(join(root, "store"));
    cleanups.push(() => server.kill());
    const stateDir = join(root, "state");
    const received: string[] = [];
    const records: LogRecord[] = [];
    const consumer = createRelayConsumer({ servers: server.url });
    consumer.subscribe(({ host, changes }) => {
      for (const c of changes) {
        if (c.kind !== "log-lines") continue;
        for (const r of c.records) {
          received.push(`${host}|${r.file.slice(host.length + 1)}|${r.offset}`);
          records.push(r);
        }
      }
    });
    await consumer.start();
    cleanups.push(() => consumer.stop());
    const hosts: Host[] = [];
    for (let i = 0; i < hostCount; i++) {
      const name = `host.${i} é`; // a dot, a space and a non-ASCII letter: all escaped on the wire
      const dir = join(root, `catalyst-${i}`);
      const fleet = createDemoFleet({
        dir,
        orchestrators: 2,
        workersPerOrchestrator: 3,
        tickMs: 20,
        seed: 7 + i,
        loop: false,
      });
      cleanups.push(() => fleet.stop());
      const publisher = makePublisher(server, name, dir, stateDir);
      cleanups.push(() => publisher.stop());
      hosts.push({ name, dir, fleet, publisher });
    }
    return { root, server, stateDir, consumer, received, records, hosts };
  }

  function makePublisher(server: NatsServer, name: string, dir: string, stateDir: string): RelayPublisher {
    return createRelayPublisher({
      servers: server.url,
      hostName: name,
      catalystDir: dir,
      stateDir,
      retryMs: 50,
    });
  }

  /**
   * Every line on disk must arrive once: the lines are read, awaited at the consumer, and only then
   * is the fleet stopped (it removes its files). Lines written after the read arrive too; nothing
   * may arrive twice, and the stream must hold exactly what the consumer got.
   */
  async function stopAndExpectExactlyOnce(
    ctx: {
      hosts: { name: string; dir: string; fleet: DemoFleet; publisher: { idle(): Promise<void> } }[];
      received: string[];
      server: NatsServer;
      records?: LogRecord[];
    },
    consumer: RelayConsumer,
  ) {
    const truth: string[] = [];
    for (const h of ctx.hosts) truth.push(...(await linesOnDisk(h.name, h.dir)));
    expect(truth.length).toBeGreaterThan(30);
    await waitUntil(
      "every line on disk at the consumer",
      () => {
        const got = new Set(ctx.received);
        return truth.every((t) => got.has(t));
      },
      60_000,
    );
    for (const h of ctx.hosts) await h.fleet.stop();
    for (const h of ctx.hosts) await h.publisher.idle();
    const stored = await streamMessages(ctx.server.url);
    await waitUntil("every stored line at the consumer", () => ctx.received.length >= stored, 60_000);
    expect(ctx.received.length).toBe(stored); // nothing stored is delivered twice
    expect(new Set(ctx.received).size).toBe(ctx.received.length); // nothing stored twice
    expect(consumer.stats().malformed).toBe(0);
    // The time index stayed exact through what the case did (a publisher without its cursor, a
    // broker killed mid-chunk): windows read through it equal the whole read's.
    const stamps = (ctx.records ?? []).map((r) => r.event.tsMs).sort((a, b) => a - b);
    if (stamps.length > 0) {
      // Both windows hold the median line (`since` is inclusive, `until` exclusive), so neither is
      // empty even when many lines share one stamp (the demo fleet writes bursts within a second).
      const midMs = stamps[Math.floor(stamps.length / 2)]!;
      for (const window of [{ since: new Date(midMs) }, { until: new Date(midMs + 1) }]) {
        const indexed = readRelayEvents({ servers: ctx.server.url, ...window });
        const got = [];
        for await (const e of indexed) got.push(e);
        const whole = [];
        for await (const e of readRelayEvents({ servers: ctx.server.url, ...window, index: false }))
          whole.push(e);
        expect(indexed.stats.indexed).toBe(true);
        expect(got).toEqual(whole);
        expect(got.length).toBeGreaterThan(0);
      }
    }
  }

  it("three hosts: every line once, state per host, ids namespaced", async () => {
    const ctx = await setup(3);
    for (const h of ctx.hosts) await h.fleet.start();
    for (const h of ctx.hosts) await h.publisher.start();
    await waitUntil("lines from every host", () =>
      ctx.hosts.every((h) => ctx.received.some((r) => r.startsWith(`${h.name}|`))),
    );
    await stopAndExpectExactlyOnce(ctx, ctx.consumer);
    // Same seed-style ids on several hosts stay apart: every orchestrator id carries its host.
    for (const r of ctx.records) {
      if (r.event.orchestrator !== null)
        expect(ctx.hosts.some((h) => r.event.orchestrator!.startsWith(`${h.name}/`))).toBe(true);
    }
    expect([...ctx.consumer.hosts().keys()].sort()).toEqual(ctx.hosts.map((h) => h.name).sort());
  }, 120_000);

  it("a publisher restarted without its cursor (a crash before the save) publishes nothing twice", async () => {
    const ctx = await setup(3);
    for (const h of ctx.hosts) await h.fleet.start();
    for (const h of ctx.hosts) await h.publisher.start();
    const victim = ctx.hosts[0]!;
    await waitUntil("some lines from the first host", () => victim.publisher.stats().linesPublished > 5);
    await victim.publisher.stop();
    // As if killed between JetStream's ack and the cursor save: the cursor is gone, every line is re-read.
    await writeFile(cursorPath(ctx.stateDir, victim.name, victim.dir), "{}");
    victim.publisher = makePublisher(ctx.server, victim.name, victim.dir, ctx.stateDir);
    cleanups.push(() => victim.publisher.stop());
    await victim.publisher.start();
    await stopAndExpectExactlyOnce(ctx, ctx.consumer);
    expect(victim.publisher.stats().duplicatesDropped).toBeGreaterThan(0);
  }, 120_000);

  it("a broker killed and restarted while hosts keep writing loses and duplicates nothing", async () => {
    const ctx = await setup(3);
    for (const h of ctx.hosts) await h.fleet.start();
    for (const h of ctx.hosts) await h.publisher.start();
    await waitUntil("lines flowing", () => ctx.received.length > 10);
    await ctx.server.kill("SIGKILL");
    const before = ctx.hosts.map((h) => h.publisher.stats().retries);
    await waitUntil("a publish failed while the broker was down", () =>
      ctx.hosts.some((h, i) => h.publisher.stats().retries > before[i]!),
    );
    await ctx.server.restart();
    await stopAndExpectExactlyOnce(ctx, ctx.consumer);
  }, 180_000);

  it("state goes through the KV: a late consumer sees the current values, a file removed while the publisher was down is deleted", async () => {
    const root = await mkdtemp(join(tmpdir(), "relay-kv-"));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const server = await startNatsServer(join(root, "store"));
    cleanups.push(() => server.kill());
    const dir = join(root, "catalyst");
    const workers = join(dir, "runs", "o1", "workers");
    await mkdir(workers, { recursive: true });
    const signal = (ticket: string) => JSON.stringify({ ticket, status: "implementing", phase: 3 });
    await writeFile(join(workers, "A-1.json"), signal("A-1"));
    await writeFile(join(workers, "B.2.json"), signal("B.2"));
    await writeFile(join(dir, "state.json"), JSON.stringify({ orchestrators: {} }));
    const options = { servers: server.url, hostName: "h", catalystDir: dir, stateDir: join(root, "state") };
    let publisher = createRelayPublisher(options);
    cleanups.push(() => publisher.stop());
    await publisher.start();
    await publisher.idle();
    await publisher.stop();
    await unlink(join(workers, "B.2.json")); // while nobody publishes

    // Started after the publisher: the KV's current values come first.
    const live = new Map<string, SourceChange>();
    const consumer = createRelayConsumer({ servers: server.url, durable: "late" });
    consumer.subscribe(({ host, changes }) => {
      expect(host).toBe("h");
      for (const c of changes) {
        if (c.kind === "signal" || c.kind === "signal-removed") live.set(`${c.orchestrator}|${c.key}`, c);
        if (c.kind === "global-state" || c.kind === "orchestrator-added") live.set(c.kind, c);
      }
    });
    await consumer.start();
    cleanups.push(() => consumer.stop());
    await waitUntil("the current state at the consumer", () => live.get("h/o1|B.2")?.kind === "signal");
    expect(live.get("h/o1|A-1")).toMatchObject({ kind: "signal", file: "h/runs/o1/workers/A-1.json" });
    expect(live.get("orchestrator-added")).toMatchObject({ orchestrator: { id: "h/o1" } });
    expect(live.get("global-state")).toMatchObject({ kind: "global-state", file: "h/state.json" });

    publisher = createRelayPublisher(options);
    await publisher.start();
    await publisher.idle();
    await waitUntil("the removed worker deleted", () => live.get("h/o1|B.2")?.kind === "signal-removed");
    expect(live.get("h/o1|A-1")?.kind).toBe("signal");
    expect(publisher.stats().stateDeletes).toBe(1);
  }, 60_000);

  it("publishers in their own processes, one killed with SIGKILL mid-batch and restarted: every line once", async () => {
    const root = await mkdtemp(join(tmpdir(), "relay-kill-"));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const server = await startNatsServer(join(root, "store"));
    cleanups.push(() => server.kill());
    const stateDir = join(root, "state");
    const received: string[] = [];
    const consumer = createRelayConsumer({ servers: server.url });
    consumer.subscribe(({ host, changes }) => {
      for (const c of changes)
        if (c.kind === "log-lines")
          for (const r of c.records) received.push(`${host}|${r.file.slice(host.length + 1)}|${r.offset}`);
    });
    await consumer.start();
    cleanups.push(() => consumer.stop());
    const hosts: { name: string; dir: string; fleet: DemoFleet; publisher: ChildPublisher }[] = [];
    for (let i = 0; i < 3; i++) {
      const name = `proc-${i}`;
      const dir = join(root, `catalyst-${i}`);
      const fleet = createDemoFleet({
        dir,
        orchestrators: 2,
        workersPerOrchestrator: 3,
        tickMs: 20,
        seed: 40 + i,
        loop: false,
      });
      cleanups.push(() => fleet.stop());
      await fleet.start();
      const publisher = await spawnPublisher(server.url, name, dir, stateDir);
      cleanups.push(() => killChild(publisher.child, "SIGTERM"));
      hosts.push({ name, dir, fleet, publisher });
    }
    const victim = hosts[0]!;
    await waitUntil("the first host mid-way", () => victim.publisher.published > 8);
    await killChild(victim.publisher.child);
    victim.publisher = await spawnPublisher(server.url, victim.name, victim.dir, stateDir);
    const restarted = victim.publisher;
    cleanups.push(() => killChild(restarted.child, "SIGTERM"));
    await stopAndExpectExactlyOnce({ hosts, received, server }, consumer);
  }, 180_000);

  it("a host that stops publishing turns stale after the threshold; one still publishing does not", async () => {
    const root = await mkdtemp(join(tmpdir(), "relay-stale-"));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const server = await startNatsServer(join(root, "store"));
    cleanups.push(() => server.kill());
    const publishers: RelayPublisher[] = [];
    for (const name of ["quiet", "gone"]) {
      const dir = join(root, name);
      await mkdir(dir, { recursive: true });
      const p = createRelayPublisher({
        servers: server.url,
        hostName: name,
        catalystDir: dir,
        stateDir: join(root, "state"),
        heartbeatMs: 100,
      });
      cleanups.push(() => p.stop());
      await p.start();
      publishers.push(p);
    }
    const consumer = createRelayConsumer({ servers: server.url });
    await consumer.start();
    cleanups.push(() => consumer.stop());
    await waitUntil("both heartbeats", () => consumer.heartbeats().size === 2);
    expect(consumer.staleHosts(2_000)).toEqual([]);
    await publishers[1]!.stop(); // "quiet" writes nothing but keeps its heartbeat
    await waitUntil("the stopped host stale", () => consumer.staleHosts(1_000).join() === "gone", 30_000);
    expect(Date.now() - consumer.heartbeats().get("quiet")!).toBeLessThan(30_000);
  }, 60_000);
});
