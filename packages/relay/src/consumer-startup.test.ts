// The central consumer's start-up on a big stream: it folds exactly what a read of the whole stream
// would give it (the lines up to its ack floor stamped in the history window, in stream order, then
// the lines it never acked), but reads only the window's ranges through the time index (counted),
// also when restarted on its durable. The stream is written directly (pipelined publishes, one
// host's lines stamped on its own skewed clock, with 1970, 2099 and weeks-late lines) and indexed
// by the publishers' own index writer, so 30,000 lines take seconds.
import { NATS_SKIP_REASON, type NatsServer, startTestBroker, type TestBroker } from "@catalyst/test-utils";
import { jetstreamManager, StorageType } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Broker, openBroker } from "./broker.js";
import { createRelayConsumer, type RelayConsumer } from "./consumer.js";
import { eventSubjectOf } from "./keys.js";
import { type RelayNames, resolveNames } from "./names.js";
import { createTimeIndexWriter, type IndexedLine } from "./time-index.js";

const skipReason = NATS_SKIP_REASON;
if (skipReason) console.warn(`consumer start-up tests skipped: ${skipReason}`);

const H = 3_600_000;
const BASE = Date.parse("2026-03-01T00:00:00Z");
const names: RelayNames = {
  stream: "STARTUP",
  subjectPrefix: "startup.events",
  bucket: "startup-state",
  indexBucket: "startup-index",
};
const HOSTS = [
  { name: "ahead", skewMs: 7 * H },
  { name: "behind", skewMs: -3 * 24 * H },
  { name: "true", skewMs: 0 },
];

let testBroker: TestBroker | null = null;
let server: NatsServer | null = null;
let broker: Broker | null = null;
/** Every line on the stream: its sequence, host, own ts and number. */
const lines: Array<{ seq: number; host: string; tsMs: number; n: number }> = [];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * `count` lines over `hours` hours from `fromHour`, the hosts taking turns, published in order and
 * indexed as the publishers index them (a chunk at a time).
 */
async function publish(count: number, fromHour: number, hours: number, random: () => number): Promise<void> {
  const b = broker!;
  const prefix = resolveNames(names).subjectPrefix;
  const writers = HOSTS.map((h) => createTimeIndexWriter(b, resolveNames(names), h.name));
  for (const w of writers) await w.open();
  const CHUNK = 2_000;
  for (let from = 0; from < count; from += CHUNK) {
    const chunk: Array<{ host: number; tsMs: number; n: number; text: string }> = [];
    for (let i = from; i < Math.min(count, from + CHUNK); i++) {
      const host = i % HOSTS.length;
      const r = random();
      let tsMs = BASE + (fromHour + (i / count) * hours) * H + HOSTS[host]!.skewMs;
      if (r < 0.0005) tsMs = Date.parse("1970-01-01T00:00:01Z") + Math.floor(random() * H);
      else if (r < 0.001) tsMs = Date.parse("2099-06-01T00:00:00Z") + Math.floor(random() * H);
      else if (r < 0.003) tsMs = BASE - 20 * 24 * H + Math.floor(random() * 72 * H);
      else tsMs += Math.floor((random() - 0.5) * 20 * 60_000);
      const n = lines.length + chunk.length;
      const text = JSON.stringify({
        ts: new Date(tsMs).toISOString(),
        orchestrator: "o1",
        worker: `W-${n % 50}`,
        event: "worker-started",
        detail: { n },
      });
      chunk.push({ host, tsMs, n, text });
    }
    const acks = await Promise.all(
      chunk.map((c) =>
        b.js.publish(
          eventSubjectOf(prefix, HOSTS[c.host]!.name, "o1"),
          JSON.stringify({
            host: HOSTS[c.host]!.name,
            file: "events/2026-03.jsonl",
            generation: 0,
            offset: c.n * 200,
            text: c.text,
          }),
        ),
      ),
    );
    const perHost = HOSTS.map((): IndexedLine[] => []);
    chunk.forEach((c, i) => {
      const seq = acks[i]!.seq;
      lines.push({ seq, host: HOSTS[c.host]!.name, tsMs: c.tsMs, n: c.n });
      perHost[c.host]!.push({ seq, tsMs: c.tsMs });
    });
    for (let h = 0; h < HOSTS.length; h++) await writers[h]!.note(perHost[h]!);
  }
  for (const w of writers) await w.flush();
}

/**
 * Per host, the line numbers a consumer folded, as `n:replayed|live`, in the order it handed them
 * out (a history batch holds several hosts' lines, handed out host by host, as before).
 */
function collect(consumer: RelayConsumer): Map<string, string[]> {
  const got = new Map<string, string[]>(HOSTS.map((h) => [h.name, []]));
  consumer.subscribe(({ host, changes }) => {
    for (const c of changes) {
      if (c.kind !== "log-lines") continue;
      for (const r of c.records)
        got.get(host)!.push(`${(r.event.detail as { n: number }).n}:${c.replayed ? "replayed" : "live"}`);
    }
  });
  return got;
}

/** The lines per host, in stream order. */
function perHost(list: typeof lines, label: (l: (typeof lines)[number]) => string): Map<string, string[]> {
  const out = new Map<string, string[]>(HOSTS.map((h) => [h.name, []]));
  for (const l of [...list].sort((a, b) => a.seq - b.seq)) out.get(l.host)!.push(label(l));
  return out;
}

beforeAll(async () => {
  if (skipReason) return;
  testBroker = await startTestBroker("relay-startup");
  server = testBroker.server;
  // In memory: the stream is written in seconds (the relay creates it on disk; the reads are the same).
  const nc = await connect({ servers: server.url });
  const resolved = resolveNames(names);
  await (await jetstreamManager(nc)).streams.add({
    name: resolved.stream,
    subjects: [`${resolved.subjectPrefix}.>`],
    storage: StorageType.Memory,
  });
  await nc.close();
  broker = await openBroker({ servers: server.url }, resolveNames(names));
  // 30,000 lines over 100 hours (300 an hour; 100,000 took 36 s on a loaded box, too long for CI).
  await publish(30_000, 0, 100, rng(28));
}, 60_000);

afterAll(async () => {
  await broker?.nc.close();
  await testBroker?.stop();
});

describe.skipIf(skipReason !== null)("the central consumer's start-up", () => {
  it("folds what a whole read would, reading the window's ranges only, also when restarted on its durable", async () => {
    const since = new Date(BASE + 97 * H);
    const history = { since };
    const inWindow = (l: (typeof lines)[number]) => l.tsMs >= since.getTime();
    // A new durable: everything on the stream is history; the window's lines, in stream order.
    const first = createRelayConsumer({ servers: server!.url, ...names, durable: "central", history });
    const got1 = collect(first);
    await first.start();
    expect(got1).toEqual(perHost(lines.filter(inWindow), (l) => `${l.n}:replayed`));
    const window1 = lines.filter(inWindow).length;
    const s1 = first.stats().startup;
    expect(s1.indexed).toBe(true);
    // The window (about 3 hours of 300 lines, the hosts' skews and the 2099 lines) plus the
    // neighbours in its ranges: about a thousand messages, not 30,000.
    expect(s1.messages).toBeGreaterThanOrEqual(window1);
    expect(s1.messages).toBeLessThan(window1 + 600);
    await first.stop();

    // Published while the central is down (never acked by its durable): new at the next start.
    const before = lines.length;
    await publish(1_000, 100, 1, rng(29));
    const second = createRelayConsumer({ servers: server!.url, ...names, durable: "central", history });
    const got2 = collect(second);
    await second.start();
    // The history first, then the new lines (stream order within each host).
    const old = new Set(lines.slice(0, before));
    const expected2 = perHost([...lines.slice(0, before).filter(inWindow), ...lines.slice(before)], (l) =>
      old.has(l) ? `${l.n}:replayed` : `${l.n}:live`,
    );
    expect(got2).toEqual(expected2);
    // Every history line before every new one.
    for (const list of got2.values()) {
      const firstLive = list.findIndex((x) => x.endsWith(":live"));
      expect(list.slice(firstLive).every((x) => x.endsWith(":live"))).toBe(true);
    }
    expect(second.stats().startup.messages).toBeLessThan(window1 + 600 + 1_000);
    expect(second.progress()).toMatchObject({ phase: "live", ackFloor: lines[before - 1]!.seq });
    await second.stop();
  }, 60_000);
});
