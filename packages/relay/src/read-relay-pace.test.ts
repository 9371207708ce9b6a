import { parseLogLine } from "@catalyst/sources";
import { NATS_SKIP_REASON, startTestBroker, type TestBroker } from "@catalyst/test-utils";
import { headers } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openBroker } from "./broker.js";
import { eventSubjectOf, messageIdOf } from "./keys.js";
import { resolveNames } from "./names.js";
import { LINES_PER_TURN, readWork, SORT_RUN } from "./read-pace.js";
import { readRelayEvents, toLogRecord } from "./read-relay-events.js";
import { compareRelayEvents, type RelayEvent } from "./spill-sorter.js";
import type { LogMessage } from "./wire.js";

// What a relay read costs per line and per turn of the event loop (issue 25, the central `?at=`):
// each line parsed once (the read's parse is what `toLogRecord` gives back), and the window
// parsed, sorted and handed out a few hundred lines between two turns, with the result exactly
// one stable sort of the window's lines. Counted (readWork), never timed.

const skipReason = NATS_SKIP_REASON;
if (skipReason) console.warn(`readRelayEvents pace tests skipped: ${skipReason}`);

let broker: TestBroker | null = null;
const names = resolveNames({
  stream: "PACE",
  subjectPrefix: "pace.events",
  bucket: "pace-state",
  indexBucket: "pace-index",
});
const BASE = Date.parse("2026-04-14T00:00:00Z");
/** Every relay message stored, in stream order. */
const stored: LogMessage[] = [];
const HOSTS = { h1: 0, h2: 7 * 3_600_000, h3: -3 * 86_400_000 } as const;
const PER_HOST = 600;

beforeAll(async () => {
  if (skipReason) return;
  broker = await startTestBroker("relay-pace");
  const b = await openBroker({ servers: broker.url }, names);
  const publish = (m: LogMessage, id: string) => {
    const h = headers();
    h.set("Nats-Msg-Id", id);
    stored.push(m);
    return b.js.publish(eventSubjectOf(names.subjectPrefix, m.host, "o1"), JSON.stringify(m), { headers: h });
  };
  // Three hosts interleaved, one 7 h ahead and one 3 days behind, jittered, some lines stamped alike.
  let pending: Promise<unknown>[] = [];
  for (let i = 0; i < PER_HOST; i++) {
    for (const [host, skew] of Object.entries(HOSTS)) {
      const ts = new Date(BASE + skew + i * 60_000 - (i % 7) * 45_000 + (i % 3 === 0 ? 0 : 13)).toISOString();
      const text = JSON.stringify({
        ts,
        orchestrator: "o1",
        worker: `W-${i % 40}`,
        event: i % 2 === 0 ? "worker-dispatched" : "worker-status-change",
        detail: i % 2 === 0 ? null : { from: "running", to: "done" },
      });
      const m = { host, file: "events/2026-04.jsonl", generation: 0, offset: i * 200, text };
      pending.push(publish(m, messageIdOf(host, m.file, 0, m.offset)));
    }
    if (pending.length >= 300) {
      await Promise.all(pending);
      pending = [];
    }
  }
  await Promise.all(pending);
  // The same line again under another id, a line that is not an event line, a foreign message.
  await publish({ ...stored[4]! }, "again");
  await publish({ host: "h1", file: "events.jsonl", generation: 0, offset: 5, text: "{not a line" }, "bad");
  await b.js.publish(`${names.subjectPrefix}.x.y`, "not json");
  await b.nc.close();
}, 120_000);

afterAll(async () => {
  await broker?.stop();
});

/** The window's lines as one stable sort of what was stored gives them, each line once. */
function oracle(sinceMs: number, untilMs: number, hosts: Set<string> | null): RelayEvent[] {
  const all: RelayEvent[] = [];
  for (const m of stored) {
    if (hosts !== null && !hosts.has(m.host)) continue;
    const p = parseLogLine(m.text, m.file, m.offset);
    if (!p.ok) continue;
    const tsMs = p.record.event.tsMs;
    if (tsMs >= sinceMs && tsMs < untilMs) all.push({ ...m, tsMs });
  }
  const out: RelayEvent[] = [];
  for (const e of all.sort(compareRelayEvents))
    if (out.length === 0 || compareRelayEvents(out.at(-1)!, e) !== 0) out.push(e);
  return out;
}

describe.skipIf(skipReason !== null)("readRelayEvents: once per line, a few hundred per turn", () => {
  it("with keepRecords parses each line once, toLogRecord included, and gives what a fresh parse gives", async () => {
    const before = readWork.parses;
    const read = readRelayEvents({ servers: broker!.url, ...names, keepRecords: true });
    const events: RelayEvent[] = [];
    const records: unknown[] = [];
    for await (const e of read) {
      events.push(e);
      records.push(toLogRecord(e));
    }
    // Every relay message's line parsed once: the window's, the invalid one, none twice.
    expect(read.stats).toMatchObject({ messages: 3 * PER_HOST + 3, malformed: 1, invalid: 1, duplicates: 1 });
    expect(readWork.parses - before).toBe(read.stats.messages - read.stats.malformed);
    expect(events).toEqual(oracle(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, null));
    // The kept parse is the one a fresh parse gives.
    events.forEach((e, i) => {
      const p = parseLogLine(e.text, e.file, e.offset);
      expect(p.ok && { ...p.record, host: e.host }).toEqual(records[i]);
    });
    // Given once: asked again, the event's line is parsed anew (no record shared between two calls).
    const again = readWork.parses;
    expect(toLogRecord(events[0]!)).toEqual(records[0]);
    expect(readWork.parses - again).toBe(1);

    // A window and one host: only that host's lines are parsed, each once.
    const sinceMs = BASE + 3_600_000;
    const untilMs = BASE + 10 * 3_600_000;
    const one = readWork.parses;
    const windowed = readRelayEvents({
      servers: broker!.url,
      ...names,
      hosts: ["h2"],
      since: new Date(sinceMs),
      until: new Date(untilMs),
      keepRecords: true,
    });
    const got: RelayEvent[] = [];
    for await (const e of windowed) {
      got.push(e);
      expect(toLogRecord(e)?.event.tsMs).toBe(e.tsMs);
    }
    expect(got).toEqual(oracle(sinceMs, untilMs, new Set(["h2"])));
    expect(got.length).toBeGreaterThan(100);
    // h2's lines, and its line stored twice (a message of its own).
    expect(readWork.parses - one).toBe(stored.filter((m) => m.host === "h2").length);
    expect(readWork.parses - one).toBe(PER_HOST + 1);

    // Without keepRecords nothing is held beside the events: toLogRecord parses, the same record.
    const plain = readWork.parses;
    const unkept = readRelayEvents({ servers: broker!.url, ...names });
    let i = 0;
    for await (const e of unkept) expect(toLogRecord(e)).toEqual(records[i++]);
    expect(i).toBe(events.length);
    expect(readWork.parses - plain).toBe(unkept.stats.messages - unkept.stats.malformed + events.length);
  });

  it("parses, sorts and hands out a bounded number of lines between two turns of the event loop", async () => {
    for (const round of [
      { what: "in memory", memoryBytes: undefined },
      { what: "spilled", memoryBytes: 128 * 1024 },
    ]) {
      let received = 0;
      const sample = () => ({ parses: readWork.parses, sorted: readWork.sorted, received });
      let seen = sample();
      const most = { parses: 0, sorted: 0, received: 0 };
      let done = false;
      const look = (): void => {
        const now = sample();
        most.parses = Math.max(most.parses, now.parses - seen.parses);
        most.sorted = Math.max(most.sorted, now.sorted - seen.sorted);
        most.received = Math.max(most.received, now.received - seen.received);
        seen = now;
        if (!done) setImmediate(look);
      };
      setImmediate(look);
      const read = readRelayEvents({
        servers: broker!.url,
        ...names,
        ...(round.memoryBytes === undefined ? {} : { memoryBytes: round.memoryBytes }),
      });
      try {
        // A consumer that never yields itself: whatever turns there are, the read gives.
        for await (const _ of read) received++;
        look();
      } finally {
        done = true;
      }
      expect(received, round.what).toBe(3 * PER_HOST);
      if (round.memoryBytes !== undefined) expect(read.stats.runs, round.what).toBeGreaterThan(1);
      // Read whole, this was every line handed out in one turn and the window sorted in one piece.
      expect(most.received, round.what).toBeLessThanOrEqual(2 * LINES_PER_TURN);
      expect(most.parses, round.what).toBeLessThanOrEqual(2 * LINES_PER_TURN);
      expect(most.sorted, round.what).toBeLessThanOrEqual(SORT_RUN);
    }
  });
});
