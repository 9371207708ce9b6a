// The bounded key listing (issue 28): a CI run hung in a test observer's `kv.keys()` under load,
// and the publisher and `hosts forget` listed keys the same way. Real nats-server: the listing's
// keys against what was put and deleted, and a broker that stops answering (SIGSTOP) gives a
// one-line timeout after the bound instead of a wait for ever, then answers again after SIGCONT.
import { NATS_SKIP_REASON, startTestBroker, type TestBroker } from "@catalyst/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Broker, openBroker } from "./broker.js";
import { RelayConnectError } from "./errors.js";
import { listKeys } from "./kv-keys.js";
import { resolveNames } from "./names.js";

const skipReason = NATS_SKIP_REASON;
if (skipReason) console.warn(`key listing test skipped: ${skipReason}`);

describe.skipIf(skipReason !== null)("listKeys", () => {
  let testBroker: TestBroker;
  let broker: Broker;
  const names = resolveNames({ bucket: "keys-test", stream: "KEYS", subjectPrefix: "keys.events" });
  beforeAll(async () => {
    testBroker = await startTestBroker("relay-kv-keys");
    broker = await openBroker({ servers: testBroker.url }, names);
  }, 60_000);
  afterAll(async () => {
    testBroker?.server.signal("SIGCONT");
    await broker?.nc.close().catch(() => {});
    await testBroker?.stop();
  });

  it("lists the keys under a filter whose last value is not a deletion, over several pulls", async () => {
    const puts: Array<Promise<number>> = [];
    for (let i = 0; i < 250; i++) puts.push(broker.kv.put(`alpha.o1.w${i}`, "{}"));
    await Promise.all(puts);
    await broker.kv.put("alpha.o1.w0", '{"again":true}');
    await broker.kv.delete("alpha.o1.w1");
    await broker.kv.put("beta.o1.w0", "{}");
    await broker.kv.put("beta.o1.w1", "{}");
    await broker.kv.purge("beta.o1.w1");

    // Pulls of 64 keys: the listing goes on past the first pull.
    const servers = testBroker.url;
    const pull = 64;
    const alpha = await listKeys(broker, names.bucket, "alpha.>", { servers, pull });
    expect(alpha).toHaveLength(249);
    expect(new Set(alpha).size).toBe(249);
    expect(alpha).toContain("alpha.o1.w0");
    expect(alpha).not.toContain("alpha.o1.w1");
    expect(await listKeys(broker, names.bucket, "beta.>", { servers })).toEqual(["beta.o1.w0"]);
    expect(await listKeys(broker, names.bucket, "gamma.>", { servers })).toEqual([]);
    expect((await listKeys(broker, names.bucket, ">", { servers, pull })).length).toBe(250);
    // Each listing's consumer is gone after it.
    const consumers = await broker.jsm.consumers.list(`KV_${names.bucket}`).next();
    expect(consumers).toHaveLength(0);
  }, 60_000);

  it("fails with one line naming the listing when the broker stops answering, and works after", async () => {
    await broker.kv.put("gamma.o1.w0", "{}");
    const servers = testBroker.url;
    testBroker.server.signal("SIGSTOP");
    let error: unknown;
    try {
      // 2 tries of 1 s without an answer: a bound of a few seconds, where kv.keys() waits for ever.
      error = await listKeys(broker, names.bucket, "gamma.>", { servers, idleMs: 1_000, tries: 2 }).then(
        () => null,
        (e: unknown) => e,
      );
    } finally {
      testBroker.server.signal("SIGCONT");
    }
    expect(error).toBeInstanceOf(RelayConnectError);
    const e = error as RelayConnectError;
    expect(e.problem).toBe("timeout");
    expect(e.message).toMatch(
      /^the NATS broker at nats:\/\/127\.0\.0\.1:\d+ did not answer a key listing of KV bucket keys-test \(gamma\.>\) \(2 tries over \d+ s; last: no answer to the creation of a consumer on KV_keys-test for 1000 ms\)$/,
    );
    expect(await listKeys(broker, names.bucket, "gamma.>", { servers })).toEqual(["gamma.o1.w0"]);
  }, 60_000);
});
