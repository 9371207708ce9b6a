// The central consumer's start-up reads pull by count (issue 28): a pull bounded only in bytes
// (nats.js 3.4) shrinks as the server ends earlier pulls at their message count, and a line larger
// than what is left of it ended every pull with "message size exceeds maxbytes" until two missed
// heartbeats (30 s) later. Real nats-server: 300 lines of ~200 B, one of 30 KB, 10 more; both
// start-up reads (the history window of a new durable, and what an existing durable never acked)
// must hand over every line well within 30 s.
import { NATS_SKIP_REASON, startTestBroker, type TestBroker } from "@catalyst/test-utils";
import { AckPolicy, DeliverPolicy } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openBroker } from "./broker.js";
import { createRelayConsumer } from "./consumer.js";
import { publishLines } from "./log-hosts.test-helper.js";
import { resolveNames } from "./names.js";
import { readRelayEvents } from "./read-relay-events.js";

const skipReason = NATS_SKIP_REASON;
if (skipReason) console.warn(`consumer history pull tests skipped: ${skipReason}`);

const names = resolveNames({ stream: "PULL", subjectPrefix: "pull.events", bucket: "pull-state" });
const LINES = 311;
const BIG = 300;
let testBroker: TestBroker | null = null;

beforeAll(async () => {
  if (skipReason) return;
  testBroker = await startTestBroker("relay-history-pull");
  const broker = await openBroker({ servers: testBroker.url }, names);
  try {
    await publishLines(broker.js, names.subjectPrefix, LINES, {
      offsetStep: 100_000,
      detail: (i) => (i === BIG ? "y".repeat(30_000) : "z".repeat(100)),
    });
    // A durable that acked nothing: its start-up reads the whole stream as never acked.
    await broker.jsm.consumers.add(names.stream, {
      durable_name: "unacked",
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
    });
  } finally {
    await broker.nc.close();
  }
}, 60_000);

afterAll(async () => {
  await testBroker?.stop();
});

async function startAndCount(durable: string): Promise<{ lines: number; replayed: number }> {
  const consumer = createRelayConsumer({
    servers: testBroker!.url,
    ...names,
    durable,
    history: { since: new Date("2026-04-14T00:00:00Z") },
  });
  let lines = 0;
  let replayed = 0;
  consumer.subscribe(({ changes }) => {
    for (const c of changes)
      if (c.kind === "log-lines") {
        lines += c.records.length;
        if (c.replayed) replayed += c.records.length;
      }
  });
  try {
    await consumer.start();
    return { lines, replayed };
  } finally {
    await consumer.stop();
  }
}

describe.skipIf(skipReason !== null)("relay pulls past a long line", () => {
  it("reads a new durable's history window past a long line without stalling", async () => {
    expect(await startAndCount("fresh")).toEqual({ lines: LINES, replayed: LINES });
  }, 15_000);

  it("reads what a durable never acked past a long line without stalling", async () => {
    expect(await startAndCount("unacked")).toEqual({ lines: LINES, replayed: 0 });
  }, 15_000);

  it("readRelayEvents (what /api/events and catalyst-replay --nats run) reads past a long line without stalling", async () => {
    for (const index of [false, true]) {
      let lines = 0;
      for await (const _ of readRelayEvents({ servers: testBroker!.url, ...names, index })) lines += 1;
      expect(lines).toBe(LINES);
    }
  }, 15_000);
});
