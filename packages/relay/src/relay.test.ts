import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDemoFleet, type DemoFleet } from "@catalyst/fleet-sim";
import type { LogRecord } from "@catalyst/schema";
import { waitUntil } from "@catalyst/test-utils";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterEach, describe, expect, it } from "vitest";
import { createRelayConsumer, type RelayConsumer } from "./consumer.js";
import { cursorPath } from "./cursor.js";
import { NATS_SERVER, type NatsServer, startNatsServer } from "./nats-server.test-helper.js";
import { createRelayPublisher, type RelayPublisher } from "./publisher.js";

const skipReason = NATS_SERVER
  ? null
  : "nats-server is not installed (apt-get install nats-server; .ci/run does)";
if (skipReason) console.warn(`@catalyst/relay broker tests skipped: ${skipReason}`);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

/** Every complete line in a catalyst dir's event logs, as `host|file|offset`. */
async function linesOnDisk(host: string, dir: string): Promise<string[]> {
  const out: string[] = [];
  const files = (await readdir(join(dir, "events")).catch(() => [] as string[])).filter((f) =>
    f.endsWith(".jsonl"),
  );
  for (const f of files) {
    const text = await readFile(join(dir, "events", f), "utf8");
    let offset = 0;
    for (const line of text.split("\n").slice(0, -1)) {
      if (line.trim() !== "") out.push(`${host}|events/${f}|${offset}`);
      offset += Buffer.byteLength(line) + 1;
    }
  }
  return out;
}

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
   * The fleet removes its files when stopped, so the lines on disk are read just before: every one
   * of them must arrive once; lines written between that read and the stop may arrive too, once.
   * The stream must hold exactly what the consumer got.
   */
  async function stopAndExpectExactlyOnce(ctx: Awaited<ReturnType<typeof setup>>, consumer: RelayConsumer) {
    const truth: string[] = [];
    for (const h of ctx.hosts) truth.push(...(await linesOnDisk(h.name, h.dir)));
    for (const h of ctx.hosts) await h.fleet.stop();
    expect(truth.length).toBeGreaterThan(30);
    for (const h of ctx.hosts) await h.publisher.idle();
    const stored = await streamMessages(ctx.server.url);
    await waitUntil("every stored line at the consumer", () => ctx.received.length >= stored, 60_000);
    expect(ctx.received.length).toBe(stored); // nothing stored is delivered twice
    expect(new Set(ctx.received).size).toBe(ctx.received.length); // nothing stored twice
    const got = new Set(ctx.received);
    expect(truth.filter((t) => !got.has(t))).toEqual([]); // nothing lost
    expect(consumer.stats().malformed).toBe(0);
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
});
