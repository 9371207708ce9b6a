// The time index is pruned with the stream: once the stream no longer holds a week of a host's
// lines (its limits discarded them, or a purge), the week's hour keys leave the index bucket and
// its head, and a window read through the index still equals the whole read of what the stream
// holds. Real nats-server; a stream whose first messages are purged. A host whose publisher is
// gone has its index pruned by a central consumer (`pruneIndex`), by the same rule.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { NATS_SKIP_REASON, type NatsServer, startTestBroker, type TestBroker } from "@catalyst/test-utils";
import { Kvm } from "@nats-io/kv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Broker, openBroker } from "./broker.js";
import { createRelayConsumer } from "./consumer.js";
import { eventSubjectOf, messageIdOf } from "./keys.js";
import { listKeys } from "./kv-keys.js";
import { type ResolvedNames, resolveNames } from "./names.js";
import { createRelayPublisher } from "./publisher.js";
import { readRelayEvents } from "./read-relay-events.js";
import type { RelayEvent } from "./spill-sorter.js";
import {
  blockOf,
  createTimeIndexWriter,
  hourOf,
  IndexPruneError,
  metaKeyOf,
  PRUNE_TRIES,
  parseMeta,
  pruneHosts,
} from "./time-index.js";

const skipReason = NATS_SKIP_REASON;
if (skipReason) console.warn(`time index pruning test skipped: ${skipReason}`);

const H = 3_600_000;
/** The first hour of a week of the index (weeks count from the epoch, not from a Monday). */
const BASE = Math.ceil(Date.parse("2026-03-01T00:00:00Z") / (168 * H)) * 168 * H;

async function collect(it: AsyncIterable<RelayEvent>): Promise<RelayEvent[]> {
  const out: RelayEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

/**
 * Publishers of `hosts` that write their head only when a week is new (it lags its hours, as a
 * publisher's head does for up to a second), each `perHost` lines an hour apart in week 0 and one
 * in week 1, all indexed; then the stream drops week 0's lines (the head of each host says week
 * 0's top is below its first sequence). `publish` adds a line of a host and indexes it.
 */
async function weekZeroDropped(
  broker: Broker,
  names: ResolvedNames,
  hosts: readonly string[],
  perHost: number,
) {
  const writers = new Map(
    hosts.map((h) => [h, createTimeIndexWriter(broker, names, h, { metaEveryMs: 3_600_000 })]),
  );
  let n = 0;
  const publish = async (host: string, tsMs: number) => {
    const text = JSON.stringify({ ts: new Date(tsMs).toISOString(), orchestrator: "o1", event: "x" });
    const data = JSON.stringify({ host, file: "events/x.jsonl", generation: 0, offset: n++, text });
    const ack = await broker.js.publish(eventSubjectOf(names.subjectPrefix, host, "o1"), data);
    await writers.get(host)!.note([{ seq: ack.seq, tsMs }]);
    return ack.seq;
  };
  for (const h of hosts) for (let i = 0; i < perHost; i++) await publish(h, BASE + i * H);
  let cut = 0;
  for (const h of hosts) {
    const seq = await publish(h, BASE + 8 * 24 * H);
    cut = cut === 0 ? seq : cut;
  }
  for (const w of writers.values()) await w.flush();
  await broker.jsm.streams.purge(names.stream, { seq: cut });
  return { writers, publish };
}

let root = "";
let server: NatsServer | null = null;
let testBroker: TestBroker | null = null;
beforeAll(async () => {
  if (skipReason) return;
  testBroker = await startTestBroker("relay-index-prune");
  ({ server, root } = testBroker);
}, 60_000);
afterAll(async () => {
  await testBroker?.stop();
});

describe.skipIf(skipReason !== null)("time index pruning", () => {
  it("drops the weeks the stream no longer holds and stays exact", async () => {
    const names = resolveNames({
      stream: "PRUNE",
      subjectPrefix: "prune.events",
      indexBucket: "prune-index",
    });
    const broker: Broker = await openBroker({ servers: server!.url }, names);
    try {
      // Two hosts, one line every 6 h of their own ts for four weeks, published interleaved; a
      // late line of week 0 arrives at the end (its week's top is then the stream's last lines).
      const hosts = ["north", "south"];
      const writers = new Map(hosts.map((h) => [h, createTimeIndexWriter(broker, names, h)]));
      const publish = async (host: string, n: number, tsMs: number) => {
        const text = JSON.stringify({
          ts: new Date(tsMs).toISOString(),
          orchestrator: "o1",
          worker: `W-${n}`,
          event: "worker-started",
          detail: null,
        });
        const data = JSON.stringify({ host, file: "events/x.jsonl", generation: 0, offset: n * 1000, text });
        const ack = await broker.js.publish(eventSubjectOf(names.subjectPrefix, host, "o1"), data, {
          msgID: messageIdOf(host, "events/x.jsonl", 0, n * 1000),
        });
        await writers.get(host)!.note([{ seq: ack.seq, tsMs }]);
      };
      const lines = (4 * 168) / 6;
      for (let i = 0; i < lines; i++) for (const h of hosts) await publish(h, i, BASE + i * 6 * H);
      await publish("south", lines, BASE + 5 * H); // late: week 0 of south stays
      for (const w of writers.values()) await w.flush();

      const kv = await new Kvm(broker.js).open(names.indexBucket);
      const keysOf = async (host: string) =>
        (await listKeys(broker, names.indexBucket, `${host}.>`, { servers: server!.url })).sort();
      const weeksOf = async (host: string) => {
        const e = await kv.get(metaKeyOf(host));
        return Object.keys(parseMeta(e!.string())!.blocks).map(Number).sort();
      };
      const week0 = blockOf(hourOf(BASE));
      expect(await weeksOf("north")).toEqual([week0, week0 + 1, week0 + 2, week0 + 3]);
      const northKeys = (await keysOf("north")).length;

      // The stream's first half, weeks 0 and 1 of both hosts, goes (as a max age or max messages
      // would discard it): sequences below `cut`.
      const info = await broker.jsm.streams.info(names.stream);
      const cut = lines + 1;
      await broker.jsm.streams.purge(names.stream, { seq: cut });
      // South's publisher prunes its own; north's is gone: a central consumer prunes its index.
      await writers.get("south")!.prune(true);
      const central = createRelayConsumer({
        servers: server!.url,
        durable: "prune-central",
        stream: "PRUNE",
        subjectPrefix: "prune.events",
        indexBucket: "prune-index",
      });
      await central.start();
      try {
        expect(await central.pruneIndex(["north"])).toBe(2);
      } finally {
        await central.stop();
      }

      // North: weeks 0 and 1 are wholly gone (their lines are the first half), so are their keys.
      expect(await weeksOf("north")).toEqual([week0 + 2, week0 + 3]);
      const left = await keysOf("north");
      expect(left.length).toBeLessThan(northKeys / 2 + 2);
      for (const k of left) {
        const hour = Number(k.split(".")[1]);
        if (Number.isFinite(hour)) expect(blockOf(hour)).toBeGreaterThanOrEqual(week0 + 2);
      }
      // South's week 0 holds its late line, still on the stream: kept.
      expect(await weeksOf("south")).toEqual([week0, week0 + 2, week0 + 3]);
      // Nothing left behind in the bucket's stream for the pruned keys (no delete markers).
      const kvInfo = await broker.jsm.streams.info(`KV_${names.indexBucket}`);
      expect(kvInfo.state.messages).toBe((await keysOf("north")).length + (await keysOf("south")).length);

      // Exact: every window through the index equals the whole read of what the stream holds.
      const base = { servers: server!.url, ...names };
      const all = await collect(readRelayEvents({ ...base, index: false }));
      expect(all.length).toBe(info.state.messages - (cut - 1));
      const windows = [
        { since: BASE, until: BASE + 7 * 24 * H },
        { since: BASE + 10 * 24 * H, until: BASE + 16 * 24 * H },
        { since: BASE + 4 * H, until: BASE + 6 * H },
        { since: BASE + 20 * 24 * H, until: BASE + 40 * 24 * H },
      ];
      for (const w of windows) {
        const read = readRelayEvents({ ...base, since: new Date(w.since), until: new Date(w.until) });
        const got = await collect(read);
        expect(read.stats.indexed).toBe(true);
        expect(got, JSON.stringify(w)).toEqual(all.filter((e) => e.tsMs >= w.since && e.tsMs < w.until));
      }
      // A second prune with nothing new to drop writes nothing.
      const before = (await kv.get(metaKeyOf("north")))!.revision;
      expect(await createTimeIndexWriter(broker, names, "north").prune(true)).toBe(0);
      expect((await kv.get(metaKeyOf("north")))!.revision).toBe(before);
    } finally {
      await broker.nc.close();
    }
  }, 60_000);

  it("a publisher prunes its host's index when it is idle, also one written before tops", async () => {
    const names = resolveNames({
      stream: "PRUNE2",
      subjectPrefix: "prune2.events",
      indexBucket: "prune2-index",
    });
    const broker: Broker = await openBroker({ servers: server!.url }, names);
    try {
      // An earlier run of host "box" indexed a week of lines that the stream has since dropped.
      const writer = createTimeIndexWriter(broker, names, "box");
      for (let i = 0; i < 5; i++) {
        const text = JSON.stringify({
          ts: new Date(BASE + i * H).toISOString(),
          orchestrator: "o1",
          event: "x",
        });
        const data = JSON.stringify({ host: "box", file: "events/x.jsonl", generation: 0, offset: i, text });
        const ack = await broker.js.publish(eventSubjectOf(names.subjectPrefix, "box", "o1"), data);
        await writer.note([{ seq: ack.seq, tsMs: BASE + i * H }]);
      }
      await writer.flush();
      await broker.jsm.streams.purge(names.stream);
      const kv = await new Kvm(broker.js).open(names.indexBucket);
      // Its head as a publisher from before pruning wrote it: no tops (looked up in the hours).
      const { tops: _tops, ...old } = parseMeta((await kv.get(metaKeyOf("box")))!.string())!;
      await kv.put(metaKeyOf("box"), JSON.stringify(old));
      const keys = async () =>
        (await listKeys(broker, names.indexBucket, "box.>", { servers: server!.url })).sort();
      expect((await keys()).length).toBe(6);

      const dir = join(root, "box");
      await mkdir(dir, { recursive: true });
      const publisher = createRelayPublisher({
        ...names,
        servers: server!.url,
        hostName: "box",
        catalystDir: dir,
        stateDir: join(root, "state-box"),
      });
      try {
        await publisher.start();
        await publisher.idle();
      } finally {
        await publisher.stop();
      }
      expect(await keys()).toEqual([metaKeyOf("box")]);
      expect(parseMeta((await kv.get(metaKeyOf("box")))!.string())!.blocks).toEqual({});
    } finally {
      await broker.nc.close();
    }
  }, 60_000);

  it("keeps the index entry of a late line written into a week while it is pruned", async () => {
    const names = resolveNames({
      stream: "PRUNE3",
      subjectPrefix: "prune3.events",
      indexBucket: "prune3-index",
    });
    const broker: Broker = await openBroker({ servers: server!.url }, names);
    try {
      const { writers, publish } = await weekZeroDropped(broker, names, ["lag", "race"], 4);

      // "lag": its publisher, back, writes a late line into week 0's hour 2; its head lags.
      await publish("lag", BASE + 2 * H + 60_000);
      // "race": a late line written into week 0's hour 1 after the prune read the week's hours
      // and before it purged them (its publisher's head written too).
      const raced = createTimeIndexWriter(broker, names, "race", {
        beforePrunePurge: async () => {
          await publish("race", BASE + H + 60_000);
          await writers.get("race")!.flush();
        },
      });
      const pruning = raced.prune(true).catch((error: unknown) => error);
      expect(await createTimeIndexWriter(broker, names, "lag").prune(true)).toBe(0);
      // The race's prune lost its head write to the publisher's (its week is back): an error.
      expect(await pruning).toBeInstanceOf(Error);

      // Exact: each window through the index equals the whole read, late lines included.
      const base = { servers: server!.url, ...names };
      const all = await collect(readRelayEvents({ ...base, index: false }));
      expect(all.map((e) => `${e.host}@${(e.tsMs - BASE) / H}`).sort()).toEqual([
        "lag@192",
        "lag@2.0166666666666666",
        "race@1.0166666666666666",
        "race@192",
      ]);
      const read = readRelayEvents({ ...base, since: new Date(BASE), until: new Date(BASE + 7 * 24 * H) });
      const got = await collect(read);
      expect(read.stats.indexed).toBe(true);
      expect(got).toEqual(all.filter((e) => e.tsMs < BASE + 7 * 24 * H));
      expect(got).toHaveLength(2);
    } finally {
      await broker.nc.close();
    }
  }, 60_000);
  it("tries a host again after it lost the race, and a host that fails does not stop the others", async () => {
    const names = resolveNames({
      stream: "PRUNE4",
      subjectPrefix: "prune4.events",
      indexBucket: "prune4-index",
    });
    const broker: Broker = await openBroker({ servers: server!.url }, names);
    try {
      // Three gone hosts, a line an hour in week 0 and one in week 1; the stream drops week 0.
      const hosts = ["fail", "ok", "race"];
      const { writers, publish } = await weekZeroDropped(broker, names, hosts, 3);
      const kv = await new Kvm(broker.js).open(names.indexBucket);
      const weeksOf = async (host: string) => {
        const e = await kv.get(metaKeyOf(host));
        return Object.keys(parseMeta(e!.string())!.blocks).map(Number).sort();
      };
      const week0 = blockOf(hourOf(BASE));

      // "fail": every try fails (a purge the broker refuses); "race": its publisher comes back and
      // writes a late line into week 0 between the prune's read and its purge, once.
      const hooks = { fail: 0, race: 0 };
      const pruned = pruneHosts(hosts, (host) =>
        createTimeIndexWriter(broker, names, host, {
          beforePrunePurge: async () => {
            if (host === "fail") {
              hooks.fail++;
              throw new Error("purge refused");
            }
            if (host === "race" && hooks.race++ === 0) {
              await publish("race", BASE + H + 60_000);
              await writers.get("race")!.flush();
            }
          },
        }),
      ).catch((error: unknown) => error);
      const error = await pruned;
      expect(error).toBeInstanceOf(IndexPruneError);
      const e = error as IndexPruneError;
      expect(e.failed.map((f) => f.host)).toEqual(["fail"]);
      expect(e.message).toBe(
        `could not prune the time index of host fail (${PRUNE_TRIES} tries; fail: purge refused); 1 week pruned for the other hosts`,
      );
      expect(hooks.fail).toBe(PRUNE_TRIES);
      // "ok" came after the failing host and was pruned; "race" lost once, was tried again and
      // keeps week 0, which holds its late line.
      expect(e.weeks).toBe(1);
      expect(await weeksOf("ok")).toEqual([week0 + 1]);
      expect(await weeksOf("fail")).toEqual([week0, week0 + 1]);
      expect(hooks.race).toBe(1);
      expect(await weeksOf("race")).toEqual([week0, week0 + 1]);
      // Tried again, the race's prune now succeeds (nothing to drop): it never fails twice in a row.
      expect(await pruneHosts(["race"], (h) => createTimeIndexWriter(broker, names, h))).toBe(0);
    } finally {
      await broker.nc.close();
    }
  }, 60_000);
});
