import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NATS_SERVER, startNatsServer, waitUntil } from "@catalyst/test-utils";
import { AckPolicy, DeliverPolicy } from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { afterEach, describe, expect, it } from "vitest";
import { openBroker } from "./broker.js";
import { createRelayConsumer } from "./consumer.js";
import { publishLines } from "./log-hosts.test-helper.js";
import { resolveNames } from "./names.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

describe.skipIf(NATS_SERVER === null)("a central consumer restarted with the same durable", () => {
  it("gets the lines a crashed run pulled but never acked, in stream order, each once", async () => {
    const root = await mkdtemp(join(tmpdir(), "relay-restart-"));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const server = await startNatsServer(join(root, "store"));
    cleanups.push(() => server.kill());
    const names = resolveNames();
    const broker = await openBroker({ servers: server.url }, names);
    cleanups.push(() => broker.nc.close());
    await publishLines(broker.js, names.subjectPrefix, 40, { offsetStep: 100 });
    // A 4 s ack wait (30 s by default) so the unacked lines come back soon, after the new run started.
    await broker.jsm.consumers.add(names.stream, {
      durable_name: "central",
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(4_000),
    });
    // The run that crashed: it pulled 20 lines, handled and acked 10, and never got to the rest.
    const crashed = await broker.js.consumers.get(names.stream, "central");
    let n = 0;
    for await (const m of await crashed.fetch({ max_messages: 20, expires: 5_000 })) {
      if (n++ < 10) await m.ackAck();
    }
    expect(n).toBe(20);

    const seqs: number[] = [];
    const consumer = createRelayConsumer({ servers: server.url, durable: "central" });
    consumer.subscribe(({ seq }) => {
      if (seq !== undefined) seqs.push(seq);
    });
    cleanups.push(() => consumer.stop());
    await consumer.start();
    await waitUntil("every line the crashed run did not ack", () => seqs.length >= 30, 30_000);
    // The start-up catch-up reads the stream past the ack floor (10) in order, so 11-20 come at
    // once rather than an ack wait later; when the durable redelivers them, they are dropped.
    expect(seqs).toEqual(Array.from({ length: 30 }, (_, i) => 11 + i));
    await waitUntil(
      "the durable's redelivery of 11-20",
      () => consumer.stats().redeliveriesDropped >= 10,
      30_000,
    );
    expect(seqs).toHaveLength(30);
  }, 60_000);
});
