import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { LogRecord } from "@catalyst/schema";
import { afterEach, describe, expect, it } from "vitest";
import { createLogTailer, listEventLogFiles, parseLogLine, readEvents } from "./index.js";
import { makeTree, removeTree, waitFor } from "./test-tree.test-helper.js";

// Today's Catalyst log (FORMATS-TODAY §1): four shapes in one month file, rotated legacy files.
const FOUR = readFileSync(
  join(import.meta.dirname, "../../schema/fixtures/formats-today/four-shapes.jsonl"),
  "utf8",
);

let root = "";
afterEach(() => removeTree(root));

async function collect(it: AsyncIterable<LogRecord>): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const r of it) out.push(r);
  return out;
}

const line = (ts: string, name: string, extra: object = {}) => JSON.stringify({ ts, name, ...extra });

describe("today's event log", () => {
  it("R1.7 every shape of a month file is read: v1, v2, dual, v3 and a tombstone, none counted invalid", async () => {
    root = await makeTree({ "events/2026-08.jsonl": FOUR });
    const read = readEvents(root);
    const records = await collect(read);
    expect(records.map((r) => r.event.envelope)).toEqual(["v3", "v1", "dual", "v2", "v2"]);
    expect(read.stats.invalid).toBe(0);
  });

  it("R1.9 lines that cannot be used are counted by reason, never silently dropped", async () => {
    const dual = JSON.parse(FOUR.split("\n")[2]!);
    dual.attributes["event.name"] = "something.else";
    root = await makeTree({
      "events/2026-08.jsonl": [
        line("2026-08-01T00:00:00Z", "ok.one"),
        '{"ts":"2026-08-01T00:00:01Z","detail":{"no":"name"}}',
        '{"name":"no.ts"}',
        JSON.stringify(dual),
        "{torn",
        "",
      ].join("\n"),
    });
    const read = readEvents(root);
    expect((await collect(read)).map((r) => r.event.name)).toEqual(["ok.one"]);
    expect(read.stats.invalid).toBe(4);
    expect(read.stats.invalidReasons).toEqual({
      "unknown-shape": 1,
      "no-ts": 1,
      "dual-mismatch": 1,
      "not-json": 1,
    });
    expect(parseLogLine("{torn", "f", 0)).toMatchObject({ ok: false, blank: false, reason: "not-json" });
  });

  it("R1.9 the reasons survive the on-disk index (a second run reads them from the cache)", async () => {
    root = await makeTree({
      "events/2026-08.jsonl": `${line("2026-08-01T00:00:00Z", "a")}\n{"name":"no.ts"}\n`,
    });
    const indexDir = join(root, "cache");
    await collect(readEvents(root, { indexDir }));
    const again = readEvents(root, { indexDir });
    await collect(again);
    expect(again.stats.bytesIndexed).toBe(0);
    expect(again.stats.invalidReasons).toEqual({ "no-ts": 1 });
  });

  it("R1.9 the reasons are exact whether a bad line was parsed when indexed or only when read", async () => {
    // The index reads ts from the bytes (issue 25): the lines below with a readable ts (first or, as
    // bare v3 puts it, last) are not parsed then, only when their block is read (and verified).
    root = await makeTree({
      "events/2026-08.jsonl": [
        line("2026-08-01T00:00:00Z", "ok.one"),
        '{"ts":"2026-08-01T00:00:01Z","detail":{"no":"name"}}',
        '{"detail":{"no":"name"},"ts":"2026-08-01T00:00:02Z"}',
        '{"name":"no.ts"}',
        "{torn",
        JSON.stringify({ name: "ok.two", ts: "2026-08-01T00:00:03Z" }),
        "",
      ].join("\n"),
    });
    const want = { "unknown-shape": 2, "no-ts": 1, "not-json": 1 };
    const plain = readEvents(root);
    expect((await collect(plain)).map((r) => r.event.name)).toEqual(["ok.one", "ok.two"]);
    expect(plain.stats.invalidReasons).toEqual(want);
    const indexDir = join(root, "cache");
    for (let run = 0; run < 3; run++) {
      // 0: builds the index (unverified) and verifies it; 1 and 2: the verified index, saved.
      const read = readEvents(root, { indexDir });
      expect((await collect(read)).map((r) => r.event.name)).toEqual(["ok.one", "ok.two"]);
      expect(read.stats.invalid).toBe(4);
      expect(read.stats.invalidReasons).toEqual(want);
    }
  });

  it("R0.1 lines with and without milliseconds merge by parsed time, not by text", async () => {
    root = await makeTree({
      "events/2026-08.jsonl": [
        line("2026-08-13T10:00:00.500Z", "second"),
        line("2026-08-13T10:00:00Z", "first"),
        line("2026-08-13T10:00:00.000Z", "also.first"),
      ].join("\n"),
    });
    const names = (await collect(readEvents(root))).map((r) => r.event.name);
    expect(names).toEqual(["first", "also.first", "second"]);
  });

  it("R1.3 rotated *.legacy* files are not the live log: listing, reading and tailing skip them", async () => {
    root = await makeTree({
      "events/2026-08.jsonl": `${line("2026-08-02T00:00:00Z", "live")}\n`,
      "events/2026-08.jsonl.legacy": `${line("2026-08-01T00:00:00Z", "rotated")}\n`,
      "events/2026-08.jsonl.legacy.20260813T150211Z.4242": `${line("2026-08-01T00:00:01Z", "rotated")}\n`,
    });
    expect(await listEventLogFiles(root)).toEqual([join(root, "events/2026-08.jsonl")]);
    expect((await collect(readEvents(root))).map((r) => r.event.name)).toEqual(["live"]);
    const seen: string[] = [];
    const tailer = createLogTailer({ catalystDir: root, from: "start" });
    tailer.subscribe((changes) => {
      for (const c of changes) if (c.kind === "log-lines") for (const r of c.records) seen.push(r.event.name);
    });
    await tailer.start();
    try {
      await waitFor(() => seen.length >= 1, 10_000, "the live line");
      expect(seen).toEqual(["live"]);
    } finally {
      await tailer.stop();
    }
  });

  it("R1.2 includeLegacy reads every rotated name form, each month's rotated files before its live file, exactly", async () => {
    root = await makeTree({
      "events/2026-07.jsonl": `${line("2026-07-31T23:59:59Z", "july")}\n`,
      "events/2026-08.jsonl": `${line("2026-08-20T00:00:00Z", "live")}\n`,
      "events/2026-08.jsonl.legacy": `${line("2026-08-01T00:00:00Z", "fixed-name")}\n`,
      "events/2026-08.jsonl.legacy.20260813T150211Z.4242": `${line("2026-08-13T15:02:00Z", "bash")}\n`,
      "events/2026-08.jsonl.legacy.20260813T150211Z.4242.1": `${line("2026-08-13T15:02:05Z", "bash.again")}\n`,
      "events/2026-08.jsonl.legacy.2026-08-14T09-00-00-123Z": `${line("2026-08-14T09:00:00.100Z", "ts")}\n`,
    });
    const ev = join(root, "events");
    expect(await listEventLogFiles(root, { includeLegacy: true })).toEqual([
      join(ev, "2026-07.jsonl"),
      join(ev, "2026-08.jsonl.legacy"),
      join(ev, "2026-08.jsonl.legacy.20260813T150211Z.4242"),
      join(ev, "2026-08.jsonl.legacy.20260813T150211Z.4242.1"),
      join(ev, "2026-08.jsonl.legacy.2026-08-14T09-00-00-123Z"),
      join(ev, "2026-08.jsonl"),
    ]);
    const names = (await collect(readEvents(root, { includeLegacy: true }))).map((r) => r.event.name);
    expect(names).toEqual(["july", "fixed-name", "bash", "bash.again", "ts", "live"]);
    const window = readEvents(root, {
      includeLegacy: true,
      since: new Date("2026-08-13T15:02:05Z"),
      until: new Date("2026-08-20T00:00:00Z"),
    });
    expect((await collect(window)).map((r) => r.event.name)).toEqual(["bash.again", "ts"]);
  });

  it("R1.21 a reader filtering by worker finds a ticket in every shape, embedded names included", async () => {
    root = await makeTree({
      "events/2026-08.jsonl": [
        ...FOUR.trimEnd().split("\n"),
        '{"ts":"2026-08-21T08:20:00Z","attributes":{"event.name":"phase.verify.park.CTL-77"}}',
      ].join("\n"),
    });
    const mine = await collect(readEvents(root, { filter: (e) => e.worker === "CTL-77" }));
    expect(mine.map((r) => r.event.envelope)).toEqual(["v1", "dual", "v2"]);
  });
});
