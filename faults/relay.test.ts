// The relay's faults on real brokers: a three-node JetStream cluster losing a node, a broker down
// until every publisher's queue overflowed, a host's publisher frozen (SIGSTOP) past the stale
// threshold and one gone for good, a central consumer restarted. Every host is two processes with
// its own catalyst dir: a fleet-sim writer and a relay publisher. Each case freezes the writers at
// the end and proves that every line on disk is in the stream once and reached the consumer once,
// and that the KV equals what a fresh scan of each host's files says.
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  createRelayConsumer,
  type HostChanges,
  openBroker,
  type RelayConsumer,
  type RelayConsumerOptions,
  resolveNames,
} from "../packages/relay/src/index.ts";
import {
  type ChildPublisher,
  type ChildPublisherOptions,
  clusterOf,
  createDurable,
  expectedKv,
  killChild,
  kvOfHost,
  linesOnDisk,
  spawnFleet,
  spawnPublisher,
  streamLines,
} from "../packages/relay/src/relay-hosts.test-helper.ts";
import {
  NATS_SERVER,
  type NatsServer,
  startNatsCluster,
  startNatsServer,
} from "../packages/test-utils/src/index.ts";
import { removeDir, tempDir, waitFor } from "./support.ts";

const skipReason = NATS_SERVER
  ? null
  : "nats-server is not installed (apt-get install nats-server; .ci/run does)";
if (skipReason) console.warn(`relay fault tests skipped: ${skipReason}`);

interface Host {
  name: string;
  dir: string;
  fleet: ChildProcess;
  publisher: ChildPublisher;
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

async function root(prefix: string): Promise<string> {
  const dir = await tempDir(prefix);
  cleanups.push(() => removeDir(dir));
  return dir;
}

/**
 * `count` hosts, each a fleet process and a publisher process, started side by side; each
 * publisher once its fleet runs and `brokerReady` has resolved (the fleets start meanwhile).
 */
async function startHosts(
  dir: string,
  servers: string | string[],
  count: number,
  options: ChildPublisherOptions = {},
  brokerReady: Promise<unknown> = Promise.resolve(),
): Promise<Host[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const name = `host-${i}`;
      const hostDir = join(dir, name);
      const fleet = await spawnFleet(hostDir, 90 + i);
      cleanups.push(() => killChild(fleet, "SIGTERM"));
      await brokerReady;
      const host: Host = { name, dir: hostDir, fleet, publisher: await startPublisher() };
      async function startPublisher(): Promise<ChildPublisher> {
        const p = await spawnPublisher(servers, name, hostDir, join(dir, "state"), options);
        cleanups.push(() => killChild(p.child, "SIGTERM"));
        return p;
      }
      return host;
    }),
  );
}

/** A central consumer that records every log line it hands out as `host|file|offset`, with its stream sequence. */
function recordingConsumer(
  servers: string | string[],
  options: Pick<RelayConsumerOptions, "durable" | "replicas" | "connectOptions"> = {},
) {
  const received: string[] = [];
  const seqs: number[] = [];
  const consumer = createRelayConsumer({ servers, ...options });
  const record = ({ host, changes, seq }: HostChanges) => {
    for (const c of changes) {
      if (c.kind !== "log-lines") continue;
      for (const r of c.records) {
        received.push(`${host}|${r.file.slice(host.length + 1)}|${r.offset}`);
        seqs.push(seq ?? -1);
      }
    }
  };
  consumer.subscribe(record);
  cleanups.push(() => consumer.stop());
  return { consumer, received, seqs };
}

const sorted = (xs: Iterable<string>) => [...xs].sort();

/** Lines on disk of every host, with the writers frozen first so the truth stays put. */
async function frozenTruth(hosts: Host[]): Promise<string[]> {
  for (const h of hosts) h.fleet.kill("SIGSTOP");
  const truth: string[] = [];
  for (const h of hosts) truth.push(...(await linesOnDisk(h.name, h.dir)));
  return truth;
}

/**
 * The end of every case: the writers are frozen; each line on disk must be in the stream exactly
 * once (and nothing else), must have reached the consumer exactly once, and each host's KV must
 * equal a fresh scan of its files.
 */
async function expectExactlyOnce(
  hosts: Host[],
  servers: string | string[],
  received: string[],
  consumer: RelayConsumer | null,
  alive: (h: Host) => boolean = () => true,
): Promise<void> {
  const truth = await frozenTruth(hosts);
  expect(truth.length).toBeGreaterThan(50);
  await waitFor(
    "every line on disk at the consumer",
    () => {
      const got = new Set(received);
      return truth.every((t) => got.has(t));
    },
    120_000,
  );
  for (const h of hosts) if (alive(h)) await h.publisher.idle();
  expect(sorted(await streamLines(servers))).toEqual(sorted(truth)); // stored once each, nothing else
  expect(sorted(received)).toEqual(sorted(truth)); // delivered once each
  if (consumer) expect(consumer.stats().malformed).toBe(0);
  for (const h of hosts) await expectKvOfHost(servers, h);
}

/** The host's KV ends equal to its files (publishers may still be writing the last changes). */
async function expectKvOfHost(servers: string | string[], h: Host): Promise<void> {
  const want = await expectedKv(h.name, h.dir);
  expect(want.size).toBeGreaterThan(0);
  let got = new Map<string, string>();
  let waited: string | undefined;
  await waitFor(
    `the KV of ${h.name} equal to its files`,
    async () => {
      got = await kvOfHost(servers, h.name);
      return sorted(got.keys()).join() === sorted(want.keys()).join();
    },
    60_000,
  ).catch((error: Error) => {
    waited = error.message;
  });
  expect(Object.fromEntries(got), waited).toEqual(Object.fromEntries(want));
}

async function publishedSoFar(hosts: Host[]): Promise<number[]> {
  return Promise.all(hosts.map(async (h) => (await h.publisher.stats()).linesPublished));
}

describe.skipIf(skipReason !== null)("relay faults on real nats-server brokers", () => {
  it("a three-node cluster with replicas = 3 loses a node (SIGKILL) while hosts keep writing: nothing lost, nothing twice", async () => {
    const dir = await root("relay-cluster");
    const cluster = await startNatsCluster(join(dir, "cluster"));
    cleanups.push(() => cluster.kill());
    // The stream and the bucket with three replicas, as the relay creates them (once, not by three
    // publishers at once, whose creation requests may time out while the cluster is young); the
    // hosts' fleets start meanwhile, their publishers after it.
    const created = waitFor(
      "the stream and the bucket created",
      async () => {
        const broker = await openBroker(
          { servers: cluster.urls, maxReconnectAttempts: 0 },
          resolveNames({ replicas: 3 }),
        );
        await broker.nc.close();
        return true;
      },
      60_000,
    );
    const hosts = await startHosts(dir, cluster.urls, 3, { replicas: 3 }, created);
    // The victim is the stream's leader, and the central consumer is connected to it too (listed
    // first, no shuffle).
    const { stream, bucket } = await clusterInfo(cluster.urls);
    expect(stream.replicas).toBe(3);
    expect(bucket.replicas).toBe(3);
    const victim = cluster.indexOf(stream.leader);
    const servers = [cluster.urls[victim]!, ...cluster.urls.filter((_, i) => i !== victim)];
    // Lines in flight to the lost node come back after the ack wait: 5 s here instead of 30 s.
    await createDurable(cluster.urls, "catalyst-central", 5_000);
    const { consumer, received } = recordingConsumer(servers, {
      replicas: 3,
      connectOptions: { noRandomize: true },
    });
    cleanups.push(() => consumer.stop());
    await consumer.start();
    await waitFor(
      "lines from every host",
      () => hosts.every((h) => received.some((r) => r.startsWith(`${h.name}|`))),
      60_000,
    );

    await cluster.stop(victim);
    const atKill = received.length;
    const publishedAtKill = await publishedSoFar(hosts);
    // Keep going on two nodes: new lines are published by every host and keep reaching the consumer.
    await waitFor(
      "every host publishing with a node down",
      async () => (await publishedSoFar(hosts)).every((n, i) => n > publishedAtKill[i]! + 10),
      90_000,
    );
    await waitFor("the consumer receiving with a node down", () => received.length > atKill + 30, 90_000);
    await waitFor(
      "a new stream leader",
      async () =>
        (await clusterInfo(cluster.urls.filter((_, i) => i !== victim))).stream.leader !== stream.leader,
      60_000,
    );

    await cluster.restart(victim);
    await expectExactlyOnce(hosts, cluster.urls, received, consumer);
  }, 240_000);

  it("a broker down while hosts keep writing, until every publisher's queue overflowed: nothing lost, nothing twice, the publishers' queues stayed bounded", async () => {
    const dir = await root("relay-outage");
    const server: NatsServer = await startNatsServer(join(dir, "store"));
    cleanups.push(() => server.kill());
    const { consumer, received } = recordingConsumer(server.url);
    await consumer.start();
    const maxQueuedChanges = 100;
    const hosts = await startHosts(dir, server.url, 3, { maxQueuedChanges });
    await waitFor(
      "lines from every host",
      () => hosts.every((h) => received.some((r) => r.startsWith(`${h.name}|`))),
      60_000,
    );

    await server.kill("SIGKILL");
    const linesAtKill = await Promise.all(hosts.map(async (h) => (await linesOnDisk(h.name, h.dir)).length));
    const retriesAtKill = await Promise.all(hosts.map(async (h) => (await h.publisher.stats()).retries));
    // The broker stays down until each publisher has had to drop its queue, however long that
    // takes (it was a fixed 30 s): first its sends fail (retries grow; from then on its loop is
    // held in the retry and takes nothing more off the queue), then, with its host still writing,
    // its queue ends empty although it held changes since (or although 50 more lines came): the
    // queue passed its bound and was dropped, to be re-read from the cursors once the broker is back.
    await waitFor(
      "every publisher retrying with the broker down",
      async () =>
        (await Promise.all(hosts.map((h) => h.publisher.stats()))).every(
          (s, i) => s.retries > retriesAtKill[i]!,
        ),
      60_000,
    );
    for (const h of hosts) h.publisher.mark();
    const linesAtMark = await Promise.all(hosts.map(async (h) => (await linesOnDisk(h.name, h.dir)).length));
    await waitFor(
      "every publisher's queue over its bound and dropped, 50 more lines on each host",
      async () => {
        for (const [i, h] of hosts.entries()) {
          const s = await h.publisher.stats();
          const lines = (await linesOnDisk(h.name, h.dir)).length;
          if (lines <= linesAtKill[i]! + 50 || s.queuedChanges !== 0) return false;
          if (s.peakSinceMark === 0 && lines < linesAtMark[i]! + 50) return false;
        }
        return true;
      },
      120_000,
    );
    await server.restart();
    await expectExactlyOnce(hosts, server.url, received, consumer);
    for (const h of hosts) {
      const s = await h.publisher.stats();
      // Bounded: the queue never passed its bound; it overflowed and was re-read from the cursors.
      expect(s.peakQueuedChanges).toBeLessThanOrEqual(maxQueuedChanges);
      expect(s.resyncs).toBeGreaterThan(0);
    }
  }, 240_000);

  // Scaled 1:50 against the defaults: a 100 ms heartbeat (5 s by default) and a 1 s stale
  // threshold (50 s); the 5 s freeze is 50 heartbeats, about four minutes of real silence.
  it("a publisher frozen (SIGSTOP) past the stale threshold is stale, then catches up with nothing lost; one gone for good stays stale and keeps its state", async () => {
    const dir = await root("relay-stale");
    const server = await startNatsServer(join(dir, "store"));
    cleanups.push(() => server.kill());
    const { consumer, received } = recordingConsumer(server.url);
    await consumer.start();
    const hosts = await startHosts(dir, server.url, 3, { heartbeatMs: 100 });
    const [frozen, , gone] = hosts as [Host, Host, Host];
    const threshold = 1_000;
    await waitFor("every heartbeat", () => consumer.heartbeats().size === 3, 60_000);
    await waitFor("no host stale", () => consumer.staleHosts(threshold).length === 0, 30_000);
    await waitFor(
      "lines from every host",
      () => hosts.every((h) => received.some((r) => r.startsWith(`${h.name}|`))),
      60_000,
    );

    // Gone for good: its writer stops, its publisher finishes, then is killed.
    gone.fleet.kill("SIGSTOP");
    await gone.publisher.idle();
    await expectKvOfHost(server.url, gone);
    await killChild(gone.publisher.child);

    frozen.publisher.child.kill("SIGSTOP");
    const frozenAt = Date.now();
    const linesAtFreeze = (await linesOnDisk(frozen.name, frozen.dir)).length;
    await waitFor(
      "the frozen and the gone host stale, the steady one not",
      () => consumer.staleHosts(threshold).join() === [frozen.name, gone.name].join(),
      30_000,
    );
    // Silent for 50 heartbeats (a deliberate duration) while its host keeps writing: at least 5 s,
    // and until the host wrote 20 lines meanwhile (a loaded box may write slower than that).
    await waitFor(
      "5 s frozen and 20 lines written meanwhile",
      async () =>
        Date.now() - frozenAt >= 5_000 &&
        (await linesOnDisk(frozen.name, frozen.dir)).length > linesAtFreeze + 20,
      60_000,
    );
    expect(consumer.staleHosts(threshold)).toEqual([frozen.name, gone.name]);

    frozen.publisher.child.kill("SIGCONT");
    await waitFor(
      "the frozen host fresh again",
      () => consumer.staleHosts(threshold).join() === gone.name,
      30_000,
    );
    await expectExactlyOnce(hosts, server.url, received, consumer, (h) => h !== gone);
    // The gone host's last state stays on the broker: stale, not deleted.
    expect(consumer.staleHosts(threshold)).toEqual([gone.name]);
  }, 240_000);

  it("a central consumer stopped mid-stream and started again with the same durable: every line at least once, exactly once by stream sequence", async () => {
    const dir = await root("relay-central");
    const server = await startNatsServer(join(dir, "store"));
    cleanups.push(() => server.kill());
    const hosts = await startHosts(dir, server.url, 3);
    // Lines the stopped run pulled but never handled come back after the ack wait: 2 s here
    // instead of JetStream's 30 s, so the case takes seconds.
    // A backlog of more than one pull (100 messages): the first run is stopped after the next pull went out.
    await waitFor(
      "a backlog in the stream",
      async () => (await streamLines(server.url).catch(() => [])).length > 200,
      60_000,
    );
    await createDurable(server.url, "central", 2_000);
    const first = recordingConsumer(server.url, { durable: "central" });
    // Stopped from inside a listener, mid-pull: lines already pulled behind this one may never be
    // handled and come back to the second run after the ack wait, below lines it already handled
    // (consumer-restart.test.ts makes that happen every time).
    let stopping: Promise<void> | null = null;
    first.consumer.subscribe(() => {
      if (first.received.length >= 60) stopping ??= first.consumer.stop();
    });
    await first.consumer.start();
    await waitFor("the first run stopped mid-stream", () => stopping !== null, 60_000);
    await stopping;
    const firstCount = first.received.length;

    const second = recordingConsumer(server.url, { durable: "central" });
    await second.consumer.start();
    const truth = await frozenTruth(hosts);
    expect(truth.length).toBeGreaterThan(firstCount);
    const both = () => [...first.received, ...second.received];
    await waitFor(
      "every line on disk in one run or the other",
      () => {
        const got = new Set(both());
        return truth.every((t) => got.has(t));
      },
      60_000,
    );
    for (const h of hosts) await h.publisher.idle();
    const stored = await streamLines(server.url);
    expect(sorted(stored)).toEqual(sorted(truth));
    // A reader that remembers the stream sequences it handled drops what the restart re-delivered.
    const handled = new Set<number>();
    const once: string[] = [];
    const seqs = [...first.seqs, ...second.seqs];
    for (const [i, line] of both().entries()) {
      if (handled.has(seqs[i]!)) continue;
      handled.add(seqs[i]!);
      once.push(line);
    }
    expect(seqs.every((s) => s > 0)).toBe(true);
    expect(sorted(once)).toEqual(sorted(truth));
    for (const h of hosts) await expectKvOfHost(server.url, h);
  }, 240_000);
});

/** The stream's and the bucket's replica count and leader, as the cluster reports them. */
async function clusterInfo(servers: string[]) {
  return {
    stream: await clusterOf(servers, "CATALYST_EVENTS"),
    bucket: await clusterOf(servers, "KV_catalyst-state"),
  };
}
