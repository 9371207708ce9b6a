// The central consumer's first load of the state KV (issue 28): read from the bucket's stream, the
// last value of each key once (counted), then a watch from the next revision, so a key written
// while the load runs ends at its last value and never goes back to an older one. And the skipped-
// line markers as per-host counts (`skipped()`, what the central's host rows and /metrics show).
import type { SourceChange } from "@catalyst/schema";
import {
  NATS_SKIP_REASON,
  type NatsServer,
  startTestBroker,
  type TestBroker,
  waitUntil,
} from "@catalyst/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Broker, openBroker } from "./broker.js";
import { createRelayConsumer } from "./consumer.js";
import { stateKeyOf } from "./keys.js";
import { type RelayNames, resolveNames } from "./names.js";

const skipReason = NATS_SKIP_REASON;
if (skipReason) console.warn(`consumer state-load tests skipped: ${skipReason}`);

const names: RelayNames = { stream: "LOAD", subjectPrefix: "load.events", bucket: "load-state" };
const HOSTS = ["h1", "h2"];
const PER_HOST = 400;
/** The keys in the bucket: the signals, a heartbeat per host, two markers (the removed key's marker counts), h1's pid answer. */
const KEYS = HOSTS.length * PER_HOST + HOSTS.length + 3;

let testBroker: TestBroker | null = null;
let server: NatsServer | null = null;
let broker: Broker | null = null;

function signal(host: string, n: number, version: number): string {
  return JSON.stringify({
    host,
    kind: "signal",
    orchestrator: "o",
    key: `T-${n}`,
    file: `o/T-${n}.json`,
    result: { ok: true, version },
  });
}

function keyOf(host: string, n: number): string {
  return stateKeyOf({ kind: "signal", host, orchestrator: "o", key: `T-${n}` });
}

beforeAll(async () => {
  if (skipReason) return;
  testBroker = await startTestBroker("relay-state-load");
  server = testBroker.server;
  broker = await openBroker({ servers: server.url }, resolveNames(names));
  const kv = broker.kv;
  for (const host of HOSTS) {
    const puts: Promise<unknown>[] = [];
    // Every key twice: the load must give each once, at its last value.
    for (let n = 0; n < PER_HOST; n++) puts.push(kv.put(keyOf(host, n), signal(host, n, 1)));
    await Promise.all(puts);
    const again: Promise<unknown>[] = [];
    for (let n = 0; n < PER_HOST; n++) again.push(kv.put(keyOf(host, n), signal(host, n, 2)));
    await Promise.all(again);
    await kv.put(
      stateKeyOf({ kind: "heartbeat", host }),
      JSON.stringify({ host, kind: "heartbeat", at: "x" }),
    );
  }
  // A pid answer h1 relayed, after its files.
  await kv.put(
    stateKeyOf({ kind: "liveness", host: "h1", orchestrator: "o", worker: "T-5" }),
    JSON.stringify({
      host: "h1",
      kind: "liveness",
      orchestrator: "o",
      worker: "T-5",
      result: { pid: 5, alive: true, reason: "alive", checkedAt: new Date(0).toISOString() },
    }),
  );
  // A removed key stays removed; two markers of skipped lines on h1 (3 + 1 lines).
  await kv.delete(keyOf("h2", 0));
  for (const [file, count] of [
    ["events/a.jsonl", 3],
    ["events/b.jsonl", 1],
  ] as const)
    await kv.put(
      stateKeyOf({ kind: "skipped", host: "h1", file }),
      JSON.stringify({ host: "h1", kind: "skipped", file, offset: 0, reason: "invalid", detail: "x", count }),
    );
}, 60_000);

afterAll(async () => {
  await broker?.nc.close().catch(() => {});
  await testBroker?.stop();
});

describe.skipIf(skipReason !== null)("the central consumer's first load of the state KV", () => {
  it("gives each key once at its last value, then every later write in order, never an older value", async () => {
    const consumer = createRelayConsumer({ servers: server!.url, durable: "load-test", ...names });
    /** Per key, the versions delivered in order (a removal is 0). */
    const seen = new Map<string, number[]>();
    let removals = 0;
    let signals = 0;
    /** Batches of more than one change (the load's): per host, the changes and answers each held. */
    const loadBatches: Array<{ host: string; changes: number; answers: string[] }> = [];
    const answersAlone: string[] = [];
    consumer.subscribe(({ host, changes, liveness }) => {
      const answers = (liveness ?? []).map((a) => `${a.orchestrator}/${a.worker}`);
      if (changes.length > 1) loadBatches.push({ host, changes: changes.length, answers });
      else answersAlone.push(...answers);
      for (const c of changes as SourceChange[]) {
        if (c.kind === "signal") {
          signals++;
          const version = (c.result as unknown as { version: number }).version;
          const list = seen.get(`${host}/${c.key}`) ?? [];
          list.push(version);
          seen.set(`${host}/${c.key}`, list);
        } else if (c.kind === "signal-removed") removals++;
      }
    });
    const started = consumer.start();
    // Written while the load runs (or just after): each must end at version 3, whichever side of
    // the load's snapshot it lands on.
    const kv = broker!.kv;
    const late: Promise<unknown>[] = [];
    for (let n = 1; n <= 20; n++) late.push(kv.put(keyOf("h1", n), signal("h1", n, 3)));
    await Promise.all(late);
    await started;
    try {
      const loaded = consumer.stats().stateLoaded;
      // At most one value per key in the bucket (signals, heartbeats, markers, the removed key's
      // marker), and the first value past the load's end: a late write that replaced a key's value
      // before the load reached it comes through the watch instead.
      expect(loaded).toBeLessThanOrEqual(KEYS + 1);
      expect(loaded).toBeGreaterThanOrEqual(KEYS - 20);
      await waitUntil("the late writes delivered", () =>
        Array.from({ length: 20 }, (_, i) => seen.get(`h1/T-${i + 1}`)?.at(-1)).every((v) => v === 3),
      );
      // The load's values: each key once (2 hosts × 400, less the removed one), the last version.
      expect(seen.get("h1/T-0")).toEqual([2]);
      expect(seen.has("h2/T-0")).toBe(false);
      for (const [key, versions] of seen) {
        // Never back to an older value: at most the load's value, then the late one.
        expect(
          [...versions].sort((a, b) => a - b),
          key,
        ).toEqual(versions);
        expect(new Set(versions).size, key).toBe(versions.length);
      }
      // Counts: the load's 799 values plus at most one more per late write.
      expect(signals).toBeGreaterThanOrEqual(HOSTS.length * PER_HOST - 1);
      expect(signals).toBeLessThanOrEqual(HOSTS.length * PER_HOST - 1 + 20);
      expect(removals).toBe(1);
      // The load hands each host over in one batch, its pid answers with its files (so a reader
      // builds each worker once, with its answer), never the answer on its own.
      expect(loadBatches.map((b) => b.host).sort()).toEqual(HOSTS);
      expect(loadBatches.find((b) => b.host === "h1")?.answers).toEqual(["h1/o/T-5"]);
      expect(loadBatches.find((b) => b.host === "h2")?.answers).toEqual([]);
      expect(answersAlone).toEqual([]);
      expect(consumer.skipped()).toEqual(new Map([["h1", { lines: 4, files: 2 }]]));

      // A marker removed (the file started over): its lines go from the count.
      await kv.delete(stateKeyOf({ kind: "skipped", host: "h1", file: "events/a.jsonl" }));
      await waitUntil("the marker's removal seen", () => consumer.skipped().get("h1")?.lines === 1);
      expect(consumer.skipped().get("h1")).toEqual({ lines: 1, files: 1 });
    } finally {
      await consumer.stop();
    }
  }, 60_000);
});
