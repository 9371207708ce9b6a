import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NATS_SERVER, type NatsServer, startNatsServer } from "@catalyst/test-utils";
import { headers } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openBroker } from "./broker.js";
import { eventSubjectOf, messageIdOf } from "./keys.js";
import { resolveNames } from "./names.js";
import { readRelayEvents } from "./read-relay-events.js";
import type { RelayEvent } from "./spill-sorter.js";
import type { LogMessage } from "./wire.js";

// readRelayEvents against a real broker, with the stream written directly (the relay's own message
// shape), so a test can store what a publisher never would: the same line twice outside the
// duplicate window, a foreign message, an invalid line.

const skipReason = NATS_SERVER
  ? null
  : "nats-server is not installed (apt-get install nats-server; .ci/run does)";
if (skipReason) console.warn(`readRelayEvents tests skipped: ${skipReason}`);

let root = "";
let server: NatsServer | null = null;
const names = resolveNames();

function line(ts: string, n: number): string {
  return JSON.stringify({ ts, orchestrator: "o1", worker: `W-${n}`, event: "worker-started", detail: null });
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "relay-read-"));
  if (skipReason) return;
  server = await startNatsServer(join(root, "store"));
  const broker = await openBroker({ servers: server.url }, names);
  const publish = async (m: LogMessage, id: string) => {
    const h = headers();
    h.set("Nats-Msg-Id", id);
    await broker.js.publish(eventSubjectOf(names.subjectPrefix, m.host, "o1"), JSON.stringify(m), {
      headers: h,
    });
  };
  // Written in stream order unrelated to ts: 2099 first, 1970 last, hosts interleaved.
  const stamps = [
    "2099-01-01T00:00:00Z",
    "2026-04-14T19:00:00Z",
    "2026-04-14T07:00:00Z",
    "1970-01-01T00:00:00Z",
  ];
  let n = 0;
  for (let i = 0; i < 60; i++) {
    for (const host of ["h2", "h1", "h3"]) {
      const text = line(stamps[i % 4]!, n++);
      const m = { host, file: "events/2026-04.jsonl", generation: 0, offset: i * 100, text };
      await publish(m, messageIdOf(host, m.file, 0, m.offset));
    }
  }
  // The same line again under another id (as after the duplicate window), a foreign message, an invalid line.
  await publish(
    { host: "h1", file: "events/2026-04.jsonl", generation: 0, offset: 0, text: line(stamps[0]!, 1) },
    "again",
  );
  await broker.js.publish(`${names.subjectPrefix}.x.y`, "not json");
  await publish({ host: "h1", file: "events.jsonl", generation: 0, offset: 5, text: "{not a line" }, "bad");
  await broker.nc.close();
}, 60_000);

afterAll(async () => {
  await server?.kill();
  await rm(root, { recursive: true, force: true });
});

async function collect(it: AsyncIterable<RelayEvent>): Promise<RelayEvent[]> {
  const out: RelayEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

describe.skipIf(skipReason !== null)("readRelayEvents", () => {
  it("merges every host by the lines' own ts, then host; each line once; counts what it skipped", async () => {
    const read = readRelayEvents({ servers: server!.url });
    const events = await collect(read);
    expect(events).toHaveLength(180);
    for (let i = 1; i < events.length; i++) {
      const a = events[i - 1]!;
      const b = events[i]!;
      expect(
        a.tsMs < b.tsMs ||
          (a.tsMs === b.tsMs && (a.host < b.host || (a.host === b.host && a.offset < b.offset))),
      ).toBe(true);
    }
    expect(events[0]!.tsMs).toBe(0);
    expect(events.at(-1)!.tsMs).toBe(Date.parse("2099-01-01T00:00:00Z"));
    expect(read.stats).toMatchObject({ messages: 183, duplicates: 1, malformed: 1, invalid: 1, runs: 0 });
  });

  it("filters by ts (since inclusive, until exclusive) and host", async () => {
    const events = await collect(
      readRelayEvents({
        servers: server!.url,
        since: new Date("2026-04-14T07:00:00Z"),
        until: new Date("2026-04-14T19:00:00Z"),
        hosts: ["h1", "h3"],
      }),
    );
    expect(events).toHaveLength(30);
    expect(new Set(events.map((e) => e.host))).toEqual(new Set(["h1", "h3"]));
    expect(events.every((e) => e.tsMs === Date.parse("2026-04-14T07:00:00Z"))).toBe(true);
  });

  it("spills to a temp dir under tmpDir past memoryBytes, gives the same output, and removes it", async () => {
    const inMemory = await collect(readRelayEvents({ servers: server!.url }));
    const tmp = await mkdtemp(join(root, "tmp-"));
    const read = readRelayEvents({ servers: server!.url, memoryBytes: 2048, tmpDir: tmp, maxBytes: 4096 });
    const spilled = await collect(read);
    expect(read.stats.runs).toBeGreaterThan(5);
    expect(spilled).toEqual(inMemory);
    expect(await readdir(tmp)).toEqual([]);
    // Stopped part-way: the dir goes too.
    const early = readRelayEvents({ servers: server!.url, memoryBytes: 2048, tmpDir: tmp });
    for await (const _ of early) break;
    expect(await readdir(tmp)).toEqual([]);
  });

  it("ends at the stream's last message at start and reports progress", async () => {
    const seen: { received: number; total: number }[] = [];
    await collect(readRelayEvents({ servers: server!.url, onProgress: (p) => seen.push(p) }));
    expect(seen.at(-1)).toEqual({ received: 183, total: 183 });
  });
});
