// Start-up against a broker that is not ready (issue 28: at 25 hosts × 2,000 workers a JetStream
// request of the central's start-up went past the client's 5 s and the monitor exited): a broker
// not up yet is waited for, a JetStream that does not answer is asked again with a backoff, and
// giving up is one line naming what was not answered. Real nats-servers: one stopped, one without
// JetStream, each replaced by a working one on the same port while the start-up waits.
import { NATS_SKIP_REASON, type NatsServer, startTestBroker, waitUntil } from "@catalyst/test-utils";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterEach, describe, expect, it } from "vitest";
import { createRelayConsumer, type RelayConsumer } from "./consumer.js";
import { RelayConnectError } from "./errors.js";
import { retryJetStream } from "./jetstream-calls.js";
import { answerUnavailable } from "./unready-broker.test-helper.js";

const skipReason = NATS_SKIP_REASON;
if (skipReason) console.warn(`broker start-up tests skipped: ${skipReason}`);

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

async function server(jetstream = true): Promise<NatsServer> {
  const broker = await startTestBroker("relay-broker-startup", { jetstream });
  cleanups.push(() => broker.stop());
  return broker.server;
}

function consumerOf(url: string): RelayConsumer {
  const c = createRelayConsumer({ servers: url, durable: "startup-test", connectWaitMs: 60_000 });
  cleanups.push(() => c.stop());
  return c;
}

describe.skipIf(skipReason !== null)("start-up against a broker that is not ready", () => {
  it("a central consumer started before its broker comes up once the broker starts", async () => {
    const broker = await server();
    await broker.kill();
    const consumer = consumerOf(broker.url);
    let settled = false;
    const started = consumer.start().finally(() => {
      settled = true;
    });
    // Still trying (an unreachable broker no longer fails the start at once).
    await waitUntil("the consumer trying to connect", () => consumer.progress().phase === "connecting");
    expect(settled).toBe(false);
    await broker.restart();
    await started;
    expect(consumer.progress().phase).toBe("live");
    expect(consumer.health().connected).toBe(true);
  }, 60_000);

  it("a broker whose JetStream does not answer yet is asked again until it does", async () => {
    const broker = await server(false);
    // JetStream answers 503 (a cluster without a leader) until it recovers.
    const jetStream = await answerUnavailable(broker);
    cleanups.push(() => jetStream.close());
    const consumer = consumerOf(broker.url);
    const started = consumer.start();
    await waitUntil("the start-up asking JetStream twice", () => jetStream.requests() >= 2);
    await jetStream.recover();
    await started;
    expect(consumer.progress().phase).toBe("live");
  }, 60_000);

  it("gives up with one line naming the request and the broker, never a stack", async () => {
    const broker = await server(false);
    const nc = await connect({ servers: broker.url });
    cleanups.push(() => nc.close());
    const failure = await retryJetStream(
      "the JetStream API check",
      `nats://alice:s3cret@127.0.0.1:${broker.port}`,
      () => jetstreamManager(nc),
      { tries: 3, delayMs: 50 },
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RelayConnectError);
    const e = failure as RelayConnectError;
    expect(e.problem).toBe("timeout");
    expect(e.operation).toBe("the JetStream API check");
    expect(e.message).toMatch(
      /^the NATS broker at nats:\/\/\*\*\*@127\.0\.0\.1:\d+ did not answer the JetStream API check \(3 tries over \d+ s; last: /,
    );
    expect(e.message).not.toContain("s3cret");
    expect(e.message).not.toContain("\n");

    // A request that is refused for a reason (not a timeout) is not asked again.
    let asked = 0;
    const refused = await retryJetStream("x", broker.url, async () => {
      asked++;
      throw new Error("permissions violation");
    }).catch((error: unknown) => error);
    expect(asked).toBe(1);
    expect((refused as Error).message).toBe("permissions violation");
  }, 60_000);
});
