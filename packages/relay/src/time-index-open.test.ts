// The time index bucket is made on the relay's management path (issue 28): its creation waits as
// long as the relay's other management requests and is asked again with the caller's start-up
// policy while JetStream cannot answer yet, and the bound bucket writes on the data path. Real
// nats-server: restarted without JetStream (another client answers its API as a cluster without a
// leader does: 503), then with JetStream again on the same store, while the writer's open waits.
import { NATS_SKIP_REASON, startTestBroker, type TestBroker, waitUntil } from "@catalyst/test-utils";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterEach, describe, expect, it } from "vitest";
import { openBroker } from "./broker.js";
import { jsManager } from "./jetstream-calls.js";
import { resolveNames } from "./names.js";
import { createTimeIndexWriter, hourOf, indexKeyOf, parseBucket } from "./time-index.js";
import { answerUnavailable } from "./unready-broker.test-helper.js";

const skipReason = NATS_SKIP_REASON;
if (skipReason) console.warn(`time index open test skipped: ${skipReason}`);

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

describe.skipIf(skipReason !== null)("the time index writer's open", () => {
  it("asks again for the bucket while JetStream is unavailable, then writes the index", async () => {
    const testBroker: TestBroker = await startTestBroker("relay-index-open");
    cleanups.push(() => testBroker.stop());
    const server = testBroker.server;
    const names = resolveNames({ stream: "OPEN", subjectPrefix: "open.events", indexBucket: "open-index" });
    // The stream exists (a publisher made it earlier); the index bucket does not yet.
    const first = await openBroker({ servers: server.url }, names);
    await first.nc.close();
    await server.kill();
    await server.restart({ jetstream: false });

    const jetStream = await answerUnavailable(server);
    cleanups.push(() => jetStream.close());

    const nc: NatsConnection = await connect({
      servers: server.url,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 200,
    });
    cleanups.push(() => nc.close());
    const jsm = await jsManager(nc, server.url, { checkAPI: false });
    const writer = createTimeIndexWriter({ nc, jsm }, names, "box", {
      servers: server.url,
      retry: { tries: 4, withinMs: 60_000, delayMs: 200, maxDelayMs: 1_000 },
    });
    let settled = false;
    const opening = writer.open().finally(() => {
      settled = true;
    });
    opening.catch(() => {});
    await waitUntil("the writer asking for the bucket twice", () => jetStream.requests() >= 2, 15_000);
    // The old open (one try on the data client) had failed at the first 503.
    expect(settled).toBe(false);
    await jetStream.recover();
    await opening;

    const tsMs = Date.parse("2026-04-14T18:30:00Z");
    await writer.note([{ seq: 7, tsMs }]);
    const kv = await new Kvm(nc).open(names.indexBucket);
    const entry = await kv.get(indexKeyOf("box", hourOf(tsMs)));
    expect(parseBucket(entry?.string() ?? "")).toEqual({ v: 1, ranges: [[7, 7]] });
  }, 90_000);
});
