// The consumer restarted with the same durable: the stream's history comes back as `replayed`
// lines (filtered by each line's own ts), what it never acked comes as new lines, nothing twice.
// And a host's global state.json arrives with its ids namespaced.
import { appendFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SourceChange } from "@catalyst/schema";
import { NATS_SERVER, startNatsServer, waitUntil } from "@catalyst/test-utils";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterEach, describe, expect, it } from "vitest";
import { createRelayConsumer } from "./consumer.js";
import { createRelayPublisher } from "./publisher.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

const DAY = 24 * 3_600_000;

function lineText(n: number, tsMs: number): string {
  return `${JSON.stringify({
    ts: new Date(tsMs).toISOString(),
    orchestrator: "o1",
    worker: `T-${n}`,
    event: "worker-dispatched",
    detail: { n },
  })}\n`;
}

/** Every log line a consumer delivered, as `n:replayed|live`. */
function collect(consumer: ReturnType<typeof createRelayConsumer>) {
  const got: string[] = [];
  const changes: SourceChange[] = [];
  consumer.subscribe(({ changes: batch }) => {
    for (const c of batch) {
      changes.push(c);
      if (c.kind !== "log-lines") continue;
      for (const r of c.records)
        got.push(`${(r.event.detail as { n: number }).n}:${c.replayed ? "replayed" : "live"}`);
    }
  });
  return { got, changes };
}

/** Wait until the stream holds `count` lines: the publisher's watcher may see an append late. */
async function streamHolds(url: string, count: number): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    await waitUntil(
      `${count} lines on the stream`,
      async () => (await jsm.streams.info("CATALYST_EVENTS")).state.messages >= count,
      30_000,
    );
  } finally {
    await nc.close();
  }
}

describe.skipIf(NATS_SERVER === null)("relay consumer restart", () => {
  it("replays what the durable acked (in the history window), delivers what it did not, nothing twice", async () => {
    const root = await mkdtemp(join(tmpdir(), "relay-restart-"));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const server = await startNatsServer(join(root, "store"));
    cleanups.push(() => server.kill());
    const dir = join(root, "catalyst");
    await mkdir(join(dir, "events"), { recursive: true });
    const log = join(dir, "events", "2026-12.jsonl");
    const now = Date.now();
    // Line 0 is 30 days old: outside the history window, whatever the broker's stamp says.
    await writeFile(log, lineText(0, now - 30 * DAY) + lineText(1, now - 60_000) + lineText(2, now - 50_000));
    const publisher = createRelayPublisher({
      servers: server.url,
      hostName: "h",
      catalystDir: dir,
      stateDir: join(root, "state"),
      retryMs: 50,
    });
    cleanups.push(() => publisher.stop());
    await publisher.start();
    await streamHolds(server.url, 3);

    const history = { since: new Date(now - DAY) };
    // First run, a new durable: what the stream already holds is history.
    const a = createRelayConsumer({ servers: server.url, durable: "central", history });
    const first = collect(a);
    await a.start();
    expect(first.got).toEqual(["1:replayed", "2:replayed"]);
    expect(a.progress()).toMatchObject({ phase: "live", targetSeq: 3, ackFloor: 3 });
    await appendFile(log, lineText(3, now) + lineText(4, now));
    await waitUntil("live lines at the first consumer", () => first.got.length === 4);
    expect(first.got.slice(2)).toEqual(["3:live", "4:live"]);
    await a.stop();

    // Written while no consumer runs: never acked, so new to the next run.
    await appendFile(log, lineText(5, now) + lineText(6, now - 40 * DAY));
    await streamHolds(server.url, 7);

    const b = createRelayConsumer({ servers: server.url, durable: "central", history });
    const second = collect(b);
    cleanups.push(() => b.stop());
    await b.start();
    // start() resolved: everything up to the stream's last sequence at start is in, in stream order.
    expect(second.got).toEqual(["1:replayed", "2:replayed", "3:replayed", "4:replayed", "5:live", "6:live"]);
    await appendFile(log, lineText(7, now));
    await waitUntil("a live line after the restart", () => second.got.length === 7);
    expect(second.got[6]).toBe("7:live");
    expect(b.stats().malformed).toBe(0);

    // A third run with no history window gets only what the durable never acked.
    await b.stop();
    await appendFile(log, lineText(8, now));
    await streamHolds(server.url, 9);
    const c = createRelayConsumer({ servers: server.url, durable: "central" });
    const third = collect(c);
    cleanups.push(() => c.stop());
    await c.start();
    expect(third.got).toEqual(["8:live"]);
  }, 120_000);

  it("namespaces a host's global state.json: its orchestrator keys, its warnings and its file", async () => {
    const root = await mkdtemp(join(tmpdir(), "relay-global-"));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const server = await startNatsServer(join(root, "store"));
    cleanups.push(() => server.kill());
    const dir = join(root, "catalyst");
    await mkdir(join(dir, "runs", "o1", "workers"), { recursive: true });
    await writeFile(
      join(dir, "state.json"),
      JSON.stringify({
        version: "1.0.0",
        orchestrators: {
          o1: { id: "o1", status: "active", workers: { "T-1": { status: "implementing", phase: "three" } } },
        },
      }),
    );
    const publisher = createRelayPublisher({
      servers: server.url,
      hostName: "box",
      catalystDir: dir,
      stateDir: join(root, "state"),
    });
    cleanups.push(() => publisher.stop());
    await publisher.start();
    await publisher.idle();
    const consumer = createRelayConsumer({ servers: server.url, durable: "g" });
    const { changes } = collect(consumer);
    cleanups.push(() => consumer.stop());
    await consumer.start();
    const global = changes.find((c) => c.kind === "global-state");
    expect(global).toMatchObject({ file: "box/state.json" });
    if (global?.kind !== "global-state" || !global.result.ok) throw new Error("no good global state");
    expect(Object.keys(global.result.value.orchestrators)).toEqual(["box/o1"]);
    expect(global.result.warnings?.map((w) => [w.file, w.segments?.slice(0, 2), w.path])).toEqual([
      ["box/state.json", ["orchestrators", "box/o1"], '$.orchestrators["box/o1"].workers["T-1"].phase'],
    ]);
    const added = changes.find((c) => c.kind === "orchestrator-added");
    expect(added).toMatchObject({ orchestrator: { id: "box/o1", host: "box", path: "box/runs/o1" } });
  }, 60_000);
});
