import { appendFile } from "node:fs/promises";
import { join } from "node:path";
import { createSeededRandom, NATS_SKIP_REASON, type NatsServer } from "@catalyst/test-utils";
import { headers } from "@nats-io/transport-node";
import { beforeAll, describe, expect, it } from "vitest";
import { openBroker } from "./broker.js";
import { eventSubjectOf, messageIdOf } from "./keys.js";
import {
  brokerForSuite,
  hostsOnStream,
  type LogHost,
  logHost,
  publisherOf,
  waitForStream,
} from "./log-hosts.test-helper.js";
import { type RelayNames, resolveNames } from "./names.js";
import type { RelayPublisher } from "./publisher.js";
import { type ReadRelayEventsOptions, readRelayEvents } from "./read-relay-events.js";
import type { RelayEvent } from "./spill-sorter.js";

// The time index against a real broker and real publishers on real log files: a window read
// through the index gives exactly what the whole read gives, whatever the hosts' clocks did (a host
// 7 h ahead, one 3 days behind, lines out of order, lines stamped 1970 and 2099, late lines
// appended days after their time, a publisher restarted mid-way, a host published by an older
// publisher without an index), and a narrow window on a big stream reads few messages (counted).

const skipReason = NATS_SKIP_REASON;
if (skipReason) console.warn(`time index tests skipped: ${skipReason}`);

const H = 3_600_000;
const BASE = Date.parse("2026-03-01T00:00:00Z");

let root = "";
let server: NatsServer | null = null;

function line(tsMs: number, orch: string, n: number): string {
  return `${JSON.stringify({ ts: new Date(tsMs).toISOString(), orchestrator: orch, worker: `W-${n}`, event: "worker-started", detail: null })}\n`;
}

async function collect(it: AsyncIterable<RelayEvent>): Promise<RelayEvent[]> {
  const out: RelayEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

brokerForSuite("relay-index", skipReason !== null, (s, dir) => {
  server = s;
  root = dir;
});

interface Host extends LogHost {
  /** How far the host's clock is off. */
  skewMs: number;
}

describe.skipIf(skipReason !== null)("the stream's time index", () => {
  const names: RelayNames = {
    stream: "SKEWED",
    subjectPrefix: "skewed.events",
    bucket: "skewed-state",
    indexBucket: "skewed-index",
  };
  let written = 0;
  const random = createSeededRandom(28).next;
  const hosts: Host[] = [];

  /** `count` lines of one host: its clock's time, jittered ±90 min, now and then 1970, 2099 or days late. */
  async function write(host: Host, count: number, fromHour: number, lateShare: number): Promise<void> {
    let text = "";
    for (let i = 0; i < count; i++) {
      const r = random();
      let ts: number;
      if (r < 0.02) ts = Date.parse("1970-01-01T00:00:01Z") + Math.floor(random() * 10 * H);
      else if (r < 0.04) ts = Date.parse("2099-06-01T00:00:00Z") + Math.floor(random() * 10 * H);
      else if (r < 0.04 + lateShare) ts = BASE - 20 * 24 * H + Math.floor(random() * 72 * H);
      else ts = BASE + (fromHour + (i / count) * 48) * H + host.skewMs + Math.floor((random() - 0.5) * 3 * H);
      text += line(ts, random() < 0.3 ? "o2" : "o1", host.n++);
    }
    await appendFile(join(host.dir, "events", "2026-03.jsonl"), text);
    written += count;
  }

  const { publisher, settled } = hostsOnStream(
    () => server!.url,
    names,
    () => join(root, "state"),
    hosts,
    () => written,
  );

  beforeAll(async () => {
    if (skipReason) return;
    for (const [name, skewMs] of [
      ["alpha", 7 * H],
      ["beta", -3 * 24 * H],
      ["gamma", 0],
      ["legacy", 2 * H],
    ] as const) {
      hosts.push({ ...(await logHost(root, name)), skewMs });
    }
    // An older publisher (no index) sent "legacy"'s first lines: written to the stream directly.
    const legacy = hosts[3]!;
    const broker = await openBroker({ servers: server!.url }, resolveNames(names));
    let offset = 0;
    for (let i = 0; i < 60; i++) {
      const text = line(BASE + i * H + legacy.skewMs, "o1", legacy.n++).trimEnd();
      const h = headers();
      h.set("Nats-Msg-Id", messageIdOf("legacy", "events/old.jsonl", 0, offset));
      const m = { host: "legacy", file: "events/old.jsonl", generation: 0, offset, text };
      await broker.js.publish(eventSubjectOf(names.subjectPrefix!, "legacy", "o1"), JSON.stringify(m), {
        headers: h,
      });
      offset += text.length + 1;
      written++;
    }
    await broker.nc.close();

    // Stage 1: every host's first lines, then the publishers (each reads its log from the start).
    for (const h of hosts) await write(h, 120, 0, 0);
    for (const h of hosts) {
      h.publisher = publisher(h);
      await h.publisher.start();
    }
    await settled();
    // Stage 2: more lines while publishing, with late ones (stamped three weeks back).
    for (const h of hosts) await write(h, 120, 40, 0.15);
    await settled();
    // Stage 3: beta's publisher stopped, beta writes on, a new publisher resumes from its cursor.
    const beta = hosts[1]!;
    await beta.publisher!.stop();
    await write(beta, 80, 30, 0.2);
    beta.publisher = publisher(beta);
    await beta.publisher.start();
    await write(hosts[0]!, 40, 90, 0.1);
    await settled();
  }, 90_000);

  it("reads every window exactly as the whole stream read does, and never more messages", async () => {
    const base: ReadRelayEventsOptions = { servers: server!.url, ...names };
    const whole = readRelayEvents({ ...base, index: false });
    const all = await collect(whole);
    expect(all).toHaveLength(written);
    const windows: { since?: number; until?: number; hosts?: string[] }[] = [
      { until: Date.parse("1971-01-01T00:00:00Z") },
      { since: Date.parse("2099-01-01T00:00:00Z") },
      { since: BASE - 21 * 24 * H, until: BASE - 16 * 24 * H },
      { since: BASE + 100 * H },
    ];
    const pick = createSeededRandom(2026).next;
    for (let i = 0; i < 10; i++) {
      const since = BASE - 22 * 24 * H + Math.floor(pick() * 27 * 24 * H);
      const w: (typeof windows)[number] = { since };
      if (pick() < 0.7) w.until = since + Math.floor(1 + pick() * 72 * H);
      if (pick() < 0.3) w.hosts = pick() < 0.5 ? ["beta"] : ["alpha", "legacy"];
      windows.push(w);
    }
    let sawFewer = false;
    for (const w of windows) {
      const options: ReadRelayEventsOptions = {
        ...base,
        ...(w.since === undefined ? {} : { since: new Date(w.since) }),
        ...(w.until === undefined ? {} : { until: new Date(w.until) }),
        ...(w.hosts ? { hosts: w.hosts } : {}),
      };
      const expected = all.filter(
        (e) =>
          e.tsMs >= (w.since ?? Number.NEGATIVE_INFINITY) &&
          e.tsMs < (w.until ?? Number.POSITIVE_INFINITY) &&
          (!w.hosts || w.hosts.includes(e.host)),
      );
      const read = readRelayEvents(options);
      const got = await collect(read);
      expect(got, JSON.stringify(w)).toEqual(expected);
      expect(read.stats.indexed).toBe(true);
      expect(read.stats.messages).toBeLessThanOrEqual(whole.stats.messages);
      if (read.stats.messages < whole.stats.messages / 2) sawFewer = true;
    }
    expect(sawFewer).toBe(true);
    // Ranges read at once feed one sorter: spilled to runs, the same lines.
    const wide = new Date(BASE - 22 * 24 * H);
    const spilled = readRelayEvents({ ...base, since: wide, memoryBytes: 4096 });
    expect(await collect(spilled)).toEqual(all.filter((e) => e.tsMs >= wide.getTime()));
    expect(spilled.stats.runs).toBeGreaterThan(3);
    expect(spilled.stats.ranges).toBeGreaterThan(3);
    // The reference itself: a windowed whole read equals the filtered whole read.
    const w = windows[2]!;
    const direct = await collect(
      readRelayEvents({ ...base, index: false, since: new Date(w.since!), until: new Date(w.until!) }),
    );
    expect(direct).toEqual(all.filter((e) => e.tsMs >= w.since! && e.tsMs < w.until!));
  }, 60_000);

  it("reads what the index does not cover yet (a publisher gone between the ack and the index) whole", async () => {
    // Lines on the stream past every host's mark, as a publisher killed after its acks leaves them.
    const broker = await openBroker({ servers: server!.url }, resolveNames(names));
    const tsMs = BASE + 10 * H;
    for (let i = 0; i < 5; i++) {
      const text = line(tsMs, "o1", 9000 + i).trimEnd();
      const m = { host: "gamma", file: "events/unindexed.jsonl", generation: 0, offset: i * 200, text };
      await broker.js.publish(eventSubjectOf(names.subjectPrefix!, "gamma", "o1"), JSON.stringify(m));
    }
    await broker.nc.close();
    const since = new Date(tsMs);
    const until = new Date(tsMs + 1);
    const indexed = await collect(readRelayEvents({ servers: server!.url, ...names, since, until }));
    const whole = await collect(
      readRelayEvents({ servers: server!.url, ...names, since, until, index: false }),
    );
    expect(indexed.filter((e) => e.file === "events/unindexed.jsonl")).toHaveLength(5);
    expect(indexed).toEqual(whole);
  });
});

describe.skipIf(skipReason !== null)("a narrow window on a big stream", () => {
  it("reads the window's hour and the unindexed tail, not the stream (counted)", async () => {
    const names: RelayNames = {
      stream: "BIG",
      subjectPrefix: "big.events",
      bucket: "big-state",
      indexBucket: "big-index",
    };
    // Two hosts, 100 hours of 30 lines each, in order within ±10 min: 6,000 lines.
    const publishers: RelayPublisher[] = [];
    let total = 0;
    for (const name of ["busy", "steady"]) {
      const host = await logHost(root, `big-${name}`);
      let text = "";
      for (let hour = 0; hour < 100; hour++)
        for (let i = 0; i < 30; i++) text += line(BASE + hour * H + i * 120_000 - 600_000, "o1", total++);
      await appendFile(join(host.dir, "events", "2026-03.jsonl"), text);
      const p = publisherOf(server!.url, names, { ...host, name }, join(root, "big-state"), {
        maxInFlight: 1024,
      });
      await p.start();
      publishers.push(p);
    }
    await waitForStream(server!.url, "BIG", total, publishers, 60_000);
    const since = new Date(BASE + 80 * H);
    const until = new Date(BASE + 81 * H);
    const read = readRelayEvents({ servers: server!.url, ...names, since, until });
    const got = await collect(read);
    const whole = readRelayEvents({ servers: server!.url, ...names, since, until, index: false });
    expect(got).toEqual(await collect(whole));
    expect(got.length).toBe(60);
    expect(read.stats.streamMessages).toBe(total);
    // The hour's lines of two hosts (its ranges hold nothing else): 60, not 6,000.
    expect(read.stats.messages).toBeLessThan(200);
    expect(whole.stats.messages).toBe(total);
    for (const p of publishers) await p.stop();
  }, 90_000);
});
