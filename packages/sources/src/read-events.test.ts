import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LogRecord } from "@catalyst/schema";
import { afterEach, describe, expect, it } from "vitest";
import { listEventLogFiles, readEvents } from "./index.js";
import { makeTree, removeTree, rng, v1Line } from "./test-tree.test-helper.js";

const FIXTURES = join(import.meta.dirname, "../../schema/fixtures/formats");

let root = "";
afterEach(() => removeTree(root));

async function collect(it: AsyncIterable<LogRecord>): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const r of it) out.push(r);
  return out;
}

describe("listEventLogFiles", () => {
  it("lists the legacy file first, then month files in lexical order, ignoring other names", async () => {
    root = await makeTree({
      "events.jsonl": "",
      "events/2026-05.jsonl": "",
      "events/2026-04.jsonl": "",
      "events/2026-04.jsonl.legacy": "",
      "events/notes.txt": "",
    });
    expect(await listEventLogFiles(root)).toEqual([
      join(root, "events.jsonl"),
      join(root, "events/2026-04.jsonl"),
      join(root, "events/2026-05.jsonl"),
    ]);
    expect(await listEventLogFiles(join(root, "missing"))).toEqual([]);
  });
});

describe("readEvents", () => {
  it("reads the spec example, all four shapes, and skips and counts invalid and oversized lines", async () => {
    const april = await readFile(join(FIXTURES, "events-2026-04.jsonl"), "utf8");
    const canonical = JSON.stringify({
      ts: "2026-05-07T15:02:11Z",
      attributes: { "event.name": "orchestrator.worker.pr_created", "catalyst.orchestrator.id": "o" },
      body: { payload: { pr: 123 } },
    });
    const session = JSON.stringify({ ts: "2026-05-07T15:02:12Z", session: "sess_1", event: "heartbeat" });
    root = await makeTree({
      "events/2026-04.jsonl": april,
      "events/2026-05.jsonl": `${canonical}\nnot json\n\n${session}\n{"ts":"nope","event":"x"}\n${"x".repeat(300)}\n`,
    });
    const it = readEvents(root, { maxLineBytes: 256 });
    const records = await collect(it);
    const aprilCount = april.split("\n").filter((l) => l.trim() !== "").length;
    expect(records).toHaveLength(aprilCount + 2);
    expect(records.at(-2)?.event.type).toBe("worker-pr-created");
    expect(records.at(-1)?.event.shape).toBe("session");
    expect(it.stats).toMatchObject({ invalid: 2, oversized: 1, files: 2 });
    const first = records[0]!;
    expect(first.offset).toBe(0);
    expect(first.text).toBe(april.split("\n")[0]);
  });

  it("applies since (inclusive), until (exclusive) and filter, merging the legacy file in time order", async () => {
    root = await makeTree({
      "events.jsonl": [v1Line("2026-04-14T10:00:00Z"), v1Line("2026-04-14T12:00:00Z", "archive")].join("\n"),
      "events/2026-04.jsonl": `${[v1Line("2026-04-14T11:00:00Z"), v1Line("2026-04-14T12:00:00Z"), v1Line("2026-04-14T13:00:00Z")].join("\n")}\n`,
    });
    const all = await collect(readEvents(root));
    expect(all.map((r) => r.event.ts)).toEqual([
      "2026-04-14T10:00:00Z",
      "2026-04-14T11:00:00Z",
      "2026-04-14T12:00:00Z",
      "2026-04-14T12:00:00Z",
      "2026-04-14T13:00:00Z",
    ]);
    // Legacy file's unterminated last line still counts: it parses, so it was complete.
    expect(all[2]?.event.type).toBe("archive");
    const window = await collect(
      readEvents(root, { since: new Date("2026-04-14T11:00:00Z"), until: new Date("2026-04-14T13:00:00Z") }),
    );
    expect(window.map((r) => r.event.ts)).toEqual([
      "2026-04-14T11:00:00Z",
      "2026-04-14T12:00:00Z",
      "2026-04-14T12:00:00Z",
    ]);
    const filtered = await collect(readEvents(root, { filter: (e) => e.type === "archive" }));
    expect(filtered).toHaveLength(1);
  });

  it("skips the blocks outside the window once indexed, and still finds lines backfilled by days", async () => {
    root = await makeTree({ "events/": "" });
    const cache = await mkdtemp(join(tmpdir(), "catalyst-cache-"));
    const base = Date.parse("2026-04-01T00:00:00Z");
    const lines: string[] = [];
    for (let i = 0; i < 40_000; i++) {
      // One line every 10 s; every 1000th line is backfilled by 3 days, one is stamped 1970.
      let t = base + i * 10_000 - (i % 1000 === 999 ? 3 * 86_400_000 : 0);
      if (i === 20_000) t = 7_000;
      lines.push(v1Line(new Date(t).toISOString(), "worker-status-change", { seq: i }));
    }
    const text = `${lines.join("\n")}\n`;
    await writeFile(join(root, "events/2026-04.jsonl"), text);
    const since = new Date(base + 39_000 * 10_000 - 200_000);
    const first = readEvents(root, { since, indexDir: cache });
    await collect(first);
    expect(first.stats.bytesIndexed).toBe(text.length);
    const it = readEvents(root, { since, indexDir: cache });
    const got = await collect(it);
    const expected = lines
      .map((l) => JSON.parse(l) as { ts: string; seq: number })
      .filter((l) => Date.parse(l.ts) >= since.getTime())
      .sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts) || a.seq - b.seq)
      .map((l) => l.seq);
    expect(got.map((r) => (r.line as { seq?: number }).seq)).toEqual(expected);
    expect(expected.slice(0, 3)).toEqual([38_980, 38_981, 38_982]);
    expect(expected).not.toContain(38_999);
    expect(it.stats.bytesIndexed).toBe(0);
    expect(it.stats.bytesRead).toBeLessThan(text.length / 10);
    // The 1970 line is found by a window around it, reading only its block.
    const old = readEvents(root, { until: new Date(10_000), indexDir: cache });
    expect((await collect(old)).map((r) => (r.line as { seq?: number }).seq)).toEqual([20_000]);
    expect(old.stats.bytesRead).toBeLessThan(text.length / 10);
    await removeTree(cache);
  });

  it("works without persisting when the cache dir cannot be written, and says so in stats", async () => {
    root = await makeTree({
      "events/2026-04.jsonl": `${v1Line("2026-04-14T10:00:00Z")}\n`,
      blocker: "a file",
    });
    const it = readEvents(root, { indexDir: join(root, "blocker", "cache") });
    expect(await collect(it)).toHaveLength(1);
    expect(it.stats.indexSaveError).toMatch(/ENOTDIR|EEXIST|not a directory/i);
  });

  it("matches a brute-force sort and filter on random logs with bounded skew (seeded)", async () => {
    const seed = Number(process.env.SOURCES_SEED ?? Date.now() % 1_000_000);
    const rand = rng(seed);
    root = await makeTree({ "events/": "" });
    for (let round = 0; round < 5; round++) {
      const skewMs = 60_000;
      const base = Date.parse("2026-04-01T00:00:00Z");
      const lines: { ts: number; seq: number; text: string }[] = [];
      let clock = base;
      for (let i = 0; i < 8_000; i++) {
        clock += Math.floor(rand() * 20_000);
        const ts = clock - Math.floor(rand() < 0.05 ? rand() * skewMs : 0);
        lines.push({ ts, seq: i, text: v1Line(new Date(ts).toISOString(), "archive", { seq: i }) });
      }
      const garbage = Math.floor(rand() * 8_000);
      const body = lines.map((l, i) => (i === garbage ? `garbage\n${l.text}` : l.text)).join("\n");
      await writeFile(join(root, "events/2026-04.jsonl"), `${body}\n`);
      const lo = base + rand() * (clock - base);
      const hi = lo + rand() * (clock - lo);
      const since = new Date(Math.floor(lo));
      const until = new Date(Math.floor(hi));
      const got = await collect(readEvents(root, { since, until, blockBytes: 4096 }));
      const want = lines
        .filter((l) => l.ts >= since.getTime() && l.ts < until.getTime())
        .sort((a, b) => a.ts - b.ts || a.seq - b.seq)
        .map((l) => l.seq);
      expect(
        got.map((r) => (r.line as { seq?: number }).seq),
        `seed ${seed} round ${round}`,
      ).toEqual(want);
    }
  });
});

describe("readLogLayout", () => {
  it("keeps the index it builds, so the next process need not index again (time travel reads the layout first)", async () => {
    const { readLogLayout } = await import("./event-log.js");
    root = await makeTree({
      "catalyst/events/2026-04.jsonl": `${v1Line("2026-04-14T01:00:00Z")}\n${v1Line("2026-04-14T02:00:00Z")}\n`,
    });
    const dir = join(root, "catalyst");
    const indexDir = join(root, "cache");
    const layout = await readLogLayout(dir, { indexDir });
    expect(layout.stats.bytesIndexed).toBeGreaterThan(0);
    const { readdir } = await import("node:fs/promises");
    const { INDEX_SUBDIR } = await import("./log-index.js");
    // Saved by the layout itself: a `--at` before the log's end reads only part of the log after
    // it, and the files past `at` must not be indexed again by every later run.
    const afterLayout = await readdir(join(indexDir, INDEX_SUBDIR));
    expect(afterLayout.filter((n) => n.includes("2026-04.jsonl"))).toHaveLength(1);
    // A read in the same process finds the file in memory; the index must be on disk all the same.
    await collect(readEvents(dir, { indexDir }));
    const saved = await readdir(join(indexDir, INDEX_SUBDIR));
    expect(saved.filter((n) => n.includes("2026-04.jsonl"))).toHaveLength(1);
  });
});

describe("the index manifest", () => {
  it("is read and written by a process's first query over a dir only: a later one after an append leaves it alone", async () => {
    const { appendFile, readdir, rm } = await import("node:fs/promises");
    const { INDEX_SUBDIR } = await import("./log-index.js");
    root = await makeTree({
      "catalyst/events/2026-03.jsonl": `${v1Line("2026-03-14T01:00:00Z")}\n`,
      "catalyst/events/2026-04.jsonl": `${v1Line("2026-04-14T01:00:00Z")}\n`,
    });
    const dir = join(root, "catalyst");
    const indexDir = join(root, "cache");
    const manifests = async (): Promise<string[]> =>
      (await readdir(join(indexDir, INDEX_SUBDIR))).filter((n) => n.startsWith("manifest-"));
    expect(await collect(readEvents(dir, { indexDir }))).toHaveLength(2);
    const [name] = await manifests();
    expect(name).toBeDefined();
    await rm(join(indexDir, INDEX_SUBDIR, name!));
    // The file grew: this process indexes its new end (its other file is in memory) ...
    await appendFile(join(dir, "events/2026-04.jsonl"), `${v1Line("2026-04-15T01:00:00Z")}\n`);
    const again = readEvents(dir, { indexDir });
    expect(await collect(again)).toHaveLength(3);
    expect(again.stats.bytesIndexed).toBeGreaterThan(0);
    // ... and saves that file's index, but does not write the whole manifest again.
    expect(await manifests()).toEqual([]);
  });
});

describe("the index manifest's writes", () => {
  it("keeps the entries of files a query left out while they are as indexed, and is not rewritten when its bytes would not change", async () => {
    const { appendFile, readFile, stat } = await import("node:fs/promises");
    const { statSync } = await import("node:fs");
    const { DEFAULT_BLOCK_BYTES, INDEX_SUBDIR, loadIndexManifest, manifestIndex, saveIndexManifest } =
      await import("./log-index.js");
    root = await makeTree({
      "catalyst/events/2026-03.jsonl": `${v1Line("2026-03-14T01:00:00Z")}\n`,
      "catalyst/events/2026-04.jsonl": `${v1Line("2026-04-14T01:00:00Z")}\n`,
      "catalyst/events/2026-04.jsonl.legacy": `${v1Line("2026-04-01T01:00:00Z")}\n`,
    });
    const dir = join(root, "catalyst");
    const indexDir = join(root, "cache");
    const [march, april, legacy] = ["2026-03.jsonl", "2026-04.jsonl", "2026-04.jsonl.legacy"].map((n) =>
      join(dir, "events", n),
    ) as [string, string, string];
    // A query that reads the rotated file too writes the manifest with all three.
    expect(await collect(readEvents(dir, { indexDir, includeLegacy: true }))).toHaveLength(3);
    const sub = join(indexDir, INDEX_SUBDIR);
    const path = join(
      sub,
      (await import("node:fs/promises").then((fs) => fs.readdir(sub))).find((n) =>
        n.startsWith("manifest-"),
      )!,
    );
    const indexOf = (file: string) => {
      const st = statSync(file);
      const info = {
        dev: st.dev,
        ino: st.ino,
        size: st.size,
        statKey: `${st.size}:${st.mtimeMs}:${st.ctimeMs}`,
      };
      return manifestIndex(loadIndexManifest(indexDir, dir)!, file, info, 1024 * 1024, DEFAULT_BLOCK_BYTES);
    };
    const files = (): string[] => [...loadIndexManifest(indexDir, dir)!.entries.keys()].sort();
    const ino = async (): Promise<number> => (await stat(path)).ino;
    const first = await ino();
    const bytes = await readFile(path);
    expect(files()).toEqual([march, april, legacy].sort());

    // A query without the rotated file (it lists only the month files): the same bytes, no write.
    const months = [indexOf(march), indexOf(april)];
    await saveIndexManifest(indexDir, dir, months, [march, april]);
    expect(await ino()).toBe(first);
    expect((await readFile(path)).equals(bytes)).toBe(true);

    // A listed file that could not be indexed (mode 000 for a non-root reader): its entry goes, once.
    await saveIndexManifest(indexDir, dir, [months[0]!, null], [march, april]);
    const second = await ino();
    expect(second).not.toBe(first);
    expect(files()).toEqual([march, legacy].sort());
    await saveIndexManifest(indexDir, dir, [months[0]!, null], [march, april]);
    expect(await ino()).toBe(second);

    // The rotated file changed since it was indexed: its entry is no longer kept by others.
    await appendFile(legacy, `${v1Line("2026-04-02T01:00:00Z")}\n`);
    await saveIndexManifest(indexDir, dir, months, [march, april]);
    expect(files()).toEqual([march, april].sort());
  });
});
