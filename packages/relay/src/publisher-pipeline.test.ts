// The publisher's KV puts of successive watcher batches go out without waiting for each other's acks
// (issue 28, P11's host part): with the broker frozen (SIGSTOP) after a signal's put was sent, a
// second signal's put is sent too; both land once the broker answers again, and a key written twice
// keeps its newer value.
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NATS_SERVER, type NatsServer, startNatsServer, waitUntil } from "@catalyst/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openBroker } from "./broker.js";
import { stateKeyOf } from "./keys.js";
import { resolveNames } from "./names.js";
import { createRelayPublisher } from "./publisher.js";

const signal = (ticket: string, error: string) =>
  `${JSON.stringify({ ticket, orchestrator: "o1", status: "implementing", phase: 3, startedAt: null, updatedAt: new Date().toISOString(), pr: null, pid: null, error })}\n`;

describe.skipIf(NATS_SERVER === null)("relay publisher, writes in flight", () => {
  let root = "";
  let server: NatsServer;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "relay-pipeline-"));
    server = await startNatsServer(join(root, "store"));
  }, 30_000);
  afterAll(async () => {
    server?.signal("SIGCONT");
    await server?.kill();
    await rm(root, { recursive: true, force: true });
  });

  it("sends a signal's put while the one before waits for its ack", async () => {
    const dir = join(root, "host");
    const workers = join(dir, "runs", "o1", "workers");
    await mkdir(workers, { recursive: true });
    const write = async (ticket: string, error: string) => {
      const path = join(workers, `${ticket}.json`);
      await writeFile(`${path}.tmp`, signal(ticket, error));
      await rename(`${path}.tmp`, path);
    };
    await write("T-1", "first");
    await write("T-2", "first");
    const stages: Array<{ stage: string; key?: string }> = [];
    const onStage = (m: unknown) => stages.push(m as { stage: string; key?: string });
    subscribe("catalyst:stage", onStage);
    const options = {
      servers: server.url,
      hostName: "pipe",
      catalystDir: dir,
      stateDir: join(root, "state"),
      heartbeatMs: 600_000,
    };
    const publisher = createRelayPublisher(options);
    try {
      await publisher.start();
      await publisher.idle();
      const seen = (stage: string, ticket: string) =>
        stages.some((s) => s.stage === stage && s.key === join(workers, `${ticket}.json`));
      stages.length = 0;
      server.signal("SIGSTOP");
      try {
        await write("T-1", "second");
        await waitUntil("T-1's put sent", () => seen("relay-put", "T-1"), 10_000);
        await write("T-2", "second");
        // Before the fix this waited for T-1's ack, which a frozen broker never sends.
        await waitUntil("T-2's put sent while T-1's waits", () => seen("relay-put", "T-2"), 10_000);
        expect(seen("relay-acked", "T-1")).toBe(false);
        // T-1 again: its second put waits for its first (one key's writes stay in order).
        await write("T-1", "third");
      } finally {
        server.signal("SIGCONT");
      }
      await waitUntil("both acked", () => seen("relay-acked", "T-1") && seen("relay-acked", "T-2"), 20_000);
      await publisher.idle();
      const broker = await openBroker({ servers: server.url }, resolveNames({}));
      try {
        const textOf = async (key: string) => (await broker.kv.get(key))?.string() ?? "";
        await waitUntil(
          "T-1's newest text on the broker",
          async () =>
            (
              await textOf(stateKeyOf({ kind: "signal", host: "pipe", orchestrator: "o1", key: "T-1" }))
            ).includes("third"),
          20_000,
        );
        expect(
          await textOf(stateKeyOf({ kind: "signal", host: "pipe", orchestrator: "o1", key: "T-2" })),
        ).toContain("second");
      } finally {
        await broker.nc.close();
      }
    } finally {
      unsubscribe("catalyst:stage", onStage);
      await publisher.stop();
    }
  }, 60_000);
});
