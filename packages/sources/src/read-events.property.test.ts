import { readdirSync } from "node:fs";
import { appendFile, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LogRecord } from "@catalyst/schema";
import { afterEach, describe, expect, it } from "vitest";
import { readEventBytes, readEvents } from "./index.js";
import { makeTree, removeTree, rng } from "./test-tree.test-helper.js";

// Property tests of readEvents / readEventBytes on random logs with adversarial timestamps: lines
// stamped 1970 and 2099, writers whose clock is 12 h off, backfills of any size, files whose
// times overlap, garbage, blank, CRLF and non-ASCII lines, `ts` not the first key. Every result is
// checked against a full scan filtered by `ts` (sorted by time, then file, then offset), and the
// byte fast path against the parsing path. Each case prints its seed; replay with SOURCES_SEED=<n>.

let root = "";
let cache = "";
afterEach(async () => {
  await removeTree(root);
  if (cache) await removeTree(cache);
});

interface GenLine {
  ts: number;
  file: number;
  seq: number;
  /** The line's text as a parser sees it (a CRLF line without its `\r`). */
  text: string;
}

interface GenFile {
  name: string;
  text: string;
  lines: GenLine[];
}

const FILE_NAMES = ["events.jsonl", "events/2026-03.jsonl", "events/2026-04.jsonl", "events/2026-05.jsonl"];
const BASE = Date.parse("2026-04-01T00:00:00Z");
const FAR_PAST = Date.parse("1970-01-01T00:00:07Z");
const FAR_FUTURE = Date.parse("2099-12-31T23:59:59Z");
const HOUR = 3_600_000;

function iso(ms: number, rand: () => number): string {
  const text = new Date(ms).toISOString();
  // Seconds or milliseconds precision, as writers do.
  return ms % 1000 === 0 && rand() < 0.5 ? `${text.slice(0, 19)}Z` : text;
}

function lineText(rand: () => number, ts: number, f: number, seq: number): string {
  const r = rand();
  const tsText = iso(ts, rand);
  if (r < 0.05) return JSON.stringify({ orchestrator: "o", ts: tsText, event: "archive", f, seq }); // ts not first
  if (r < 0.08) return JSON.stringify({ ts: tsText, event: "archive", detail: { note: "é ✓ 日本" }, f, seq });
  // Hostile to a byte scan of the first `"ts"`: JSON.parse keeps the last of duplicate keys, and
  // `\u0074s` is the key `ts` too. Written with a decoy first `ts` an hour (or decades) away.
  const decoy = iso(rand() < 0.5 ? FAR_FUTURE : Math.max(0, ts - HOUR), rand);
  if (r < 0.1)
    return `{"ts":"${decoy}","orchestrator":"o","worker":"CTL-1","event":"archive","f":${f},"seq":${seq}${[",", ", ", ",\t", " ,  "][Math.floor(rand() * 4)]}"ts":"${tsText}"}`;
  if (r < 0.12)
    return `{"ts":"${decoy}","orchestrator":"o","event":"archive","f":${f},"seq":${seq},"\\u0074s":"${tsText}"}`;
  return JSON.stringify({ ts: tsText, orchestrator: "o", worker: "CTL-1", event: "archive", f, seq });
}

/** Random files with adversarial clocks. */
export function generate(rand: () => number): GenFile[] {
  const count = 1 + Math.floor(rand() * 4);
  const files: GenFile[] = [];
  for (let f = 0; f < count; f++) {
    const n = Math.floor(rand() * 1_500);
    let clock = BASE + Math.floor(rand() * 3_600) * 1_000;
    const skewed = rand() < 0.3 ? (rand() < 0.5 ? -12 : 12) * HOUR : 0;
    const parts: string[] = [];
    const lines: GenLine[] = [];
    for (let i = 0; i < n; i++) {
      const r = rand();
      if (r < 0.01) parts.push("not json");
      else if (r < 0.015) parts.push("");
      else if (r < 0.02) parts.push('{"ts":"2026-04-01T00:00:00Z","event":');
      clock += Math.floor(rand() * 4) * 1_000;
      let ts = clock;
      const a = rand();
      if (a < 0.01) ts = FAR_PAST + Math.floor(rand() * 1_000) * 1_000;
      else if (a < 0.02) ts = FAR_FUTURE - Math.floor(rand() * 1_000) * 1_000;
      else if (a < 0.1) ts = clock - Math.floor(rand() * 48 * HOUR);
      else if (a < 0.2) ts = clock + skewed;
      ts += rand() < 0.2 ? Math.floor(rand() * 1000) : 0;
      const seq = lines.length;
      const text = lineText(rand, ts, f, seq);
      lines.push({ ts, file: f, seq, text });
      parts.push(rand() < 0.02 ? `${text}\r` : text);
    }
    const unterminated = rand() < 0.3;
    const text = parts.length === 0 ? "" : `${parts.join("\n")}${unterminated ? "" : "\n"}`;
    files.push({ name: FILE_NAMES[f]!, text, lines });
  }
  return files;
}

async function writeFiles(files: GenFile[]): Promise<string> {
  const dir = await makeTree({ "events/": "" });
  for (const file of files) await writeFile(join(dir, file.name), file.text);
  return dir;
}

function ids(records: LogRecord[]): string[] {
  return records.map((r) => {
    const line = r.line as { f?: number; seq?: number };
    return `${line.f}:${line.seq}`;
  });
}

async function collect(it: AsyncIterable<LogRecord>): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const r of it) out.push(r);
  return out;
}

async function bytesOf(it: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  // A chunk is valid until the next call: keep a copy.
  for await (const b of it) parts.push(Buffer.from(b));
  return Buffer.concat(parts).toString("utf8");
}

/** The full scan: every valid line whose ts is in the window, by (time, file, offset). */
function fullScan(files: GenFile[], sinceMs: number, untilMs: number): GenLine[] {
  return files
    .flatMap((f) => f.lines)
    .filter((l) => l.ts >= sinceMs && l.ts < untilMs)
    .sort((a, b) => a.ts - b.ts || a.file - b.file || a.seq - b.seq);
}

function pickWindow(rand: () => number, files: GenFile[]): { sinceMs: number; untilMs: number } {
  const all = files.flatMap((f) => f.lines.map((l) => l.ts));
  const pick = (): number => {
    const r = rand();
    if (all.length > 0 && r < 0.5) return all[Math.floor(rand() * all.length)]!; // on a line's exact ts
    if (r < 0.6) return FAR_PAST + 500_000;
    if (r < 0.7) return FAR_FUTURE - 500_000;
    return BASE + Math.floor(rand() * 48 * HOUR);
  };
  const a = pick();
  const b = pick();
  const sinceMs = rand() < 0.15 ? Number.NEGATIVE_INFINITY : Math.min(a, b);
  const untilMs = rand() < 0.3 ? Number.POSITIVE_INFINITY : Math.max(a, b) + (a === b ? 1 : 0);
  return { sinceMs, untilMs };
}

function windowOptions(w: { sinceMs: number; untilMs: number }): { since?: Date; until?: Date } {
  return {
    ...(Number.isFinite(w.sinceMs) ? { since: new Date(w.sinceMs) } : {}),
    ...(Number.isFinite(w.untilMs) ? { until: new Date(w.untilMs) } : {}),
  };
}

describe("readEvents exactness (property)", () => {
  it("since/until equal a full scan filtered by ts, whatever the clocks did, indexed or not", async () => {
    const seed = Number(process.env.SOURCES_SEED ?? Date.now() % 1_000_000);
    const rand = rng(seed);
    for (let round = 0; round < 12; round++) {
      const files = generate(rand);
      root = await writeFiles(files);
      cache = await mkdtemp(join(tmpdir(), "catalyst-cache-"));
      for (let q = 0; q < 4; q++) {
        const w = pickWindow(rand, files);
        // Tiny blocks so that many are skipped; the first query builds the index, later ones reuse it.
        const blockBytes = 512 + Math.floor(rand() * 4096);
        // One to three open files: the handle cache closes idle ones, never one a read is using.
        const maxOpenFiles = 1 + Math.floor(rand() * 3);
        const options = { ...windowOptions(w), blockBytes, indexDir: cache, maxOpenFiles };
        const want = fullScan(files, w.sinceMs, w.untilMs);
        const got = await collect(readEvents(root, options));
        expect(ids(got), `seed ${seed} round ${round} query ${q}`).toEqual(
          want.map((l) => `${l.file}:${l.seq}`),
        );
        const again = await collect(readEvents(root, options));
        expect(ids(again), `seed ${seed} round ${round} query ${q} (from the index)`).toEqual(ids(got));
      }
      await removeTree(root);
      await removeTree(cache);
    }
  });

  it("the byte fast path prints what the parsing path prints, byte for byte", async () => {
    const seed = Number(process.env.SOURCES_SEED ?? Date.now() % 1_000_000);
    const rand = rng(seed);
    for (let round = 0; round < 10; round++) {
      const files = generate(rand);
      root = await writeFiles(files);
      cache = await mkdtemp(join(tmpdir(), "catalyst-cache-"));
      const w = pickWindow(rand, files);
      const blockBytes = 512 + Math.floor(rand() * 8192);
      const options = { ...windowOptions(w), blockBytes, indexDir: cache };
      const parsed = (await collect(readEvents(root, options))).map((r) => `${r.text}\n`).join("");
      const fast = await bytesOf(readEventBytes(root, options));
      expect(fast, `seed ${seed} round ${round}`).toBe(parsed);
      const want = fullScan(files, w.sinceMs, w.untilMs)
        .map((l) => `${l.text}\n`)
        .join("");
      expect(fast, `seed ${seed} round ${round}`).toBe(want);
      await removeTree(root);
      await removeTree(cache);
    }
  });

  it("extends the index as a file grows, and re-indexes a file that was rewritten", async () => {
    const seed = Number(process.env.SOURCES_SEED ?? Date.now() % 1_000_000);
    const rand = rng(seed);
    const files = generate(rand).slice(0, 1);
    files[0]!.name = "events/2026-04.jsonl";
    root = await writeFiles(files);
    cache = await mkdtemp(join(tmpdir(), "catalyst-cache-"));
    const options = { blockBytes: 1024, indexDir: cache };
    const first = readEvents(root, options);
    await collect(first);
    const grown = generate(rand)[0]!;
    const lines = [...files[0]!.lines];
    for (const l of grown.lines) lines.push({ ...l, file: 0, seq: lines.length });
    // Terminate a possibly unterminated last line first, as a writer finishing it would.
    const sep = files[0]!.text === "" || files[0]!.text.endsWith("\n") ? "" : "\n";
    const renumbered = grown.lines.map((l, i) =>
      l.text.replace(/"seq":\d+/, `"seq":${files[0]!.lines.length + i}`),
    );
    await appendFile(join(root, files[0]!.name), `${sep}${renumbered.map((t) => `${t}\n`).join("")}`);
    const fixed = lines.map((l, i) =>
      i >= files[0]!.lines.length ? { ...l, text: renumbered[i - files[0]!.lines.length]! } : l,
    );
    const second = readEvents(root, options);
    const got = await collect(second);
    const want = fullScan(
      [{ ...files[0]!, lines: fixed }],
      Number.NEGATIVE_INFINITY,
      Number.POSITIVE_INFINITY,
    );
    expect(ids(got), `seed ${seed}`).toEqual(want.map((l) => `0:${l.seq}`));
    // Only the new bytes were indexed.
    const added = Buffer.byteLength(`${sep}${renumbered.map((t) => `${t}\n`).join("")}`);
    expect(second.stats.bytesIndexed, `seed ${seed}`).toBeLessThanOrEqual(
      added + Buffer.byteLength(files[0]!.text),
    );
    const third = readEvents(root, options);
    await collect(third);
    expect(third.stats.bytesIndexed).toBe(0);

    // Rewritten in place with other content of the same size: the fingerprints differ.
    const { readFile } = await import("node:fs/promises");
    const path = join(root, files[0]!.name);
    const text = await readFile(path, "utf8");
    await writeFile(path, text.replace(/"archive"/g, '"ARCHIVE"'));
    const fourth = await collect(readEvents(root, options));
    expect(fourth.every((r) => r.event.type === "ARCHIVE")).toBe(true);
  });

  it("applies the filter and stops cleanly when the consumer breaks off", async () => {
    const seed = Number(process.env.SOURCES_SEED ?? Date.now() % 1_000_000);
    const rand = rng(seed);
    let files = generate(rand);
    while (files.flatMap((f) => f.lines).length < 10) files = generate(rand);
    root = await writeFiles(files);
    const keep = (seq: number): boolean => seq % 3 !== 0;
    const got = ids(
      await collect(
        readEvents(root, {
          blockBytes: 2048,
          filter: (e) => keep(((e.raw ?? {}) as { seq?: number }).seq ?? 0),
        }),
      ),
    );
    const want = fullScan(files, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY)
      .filter((l) => keep(l.seq))
      .map((l) => `${l.file}:${l.seq}`);
    expect(got, `seed ${seed}`).toEqual(want);

    // Breaking off closes every file: no descriptor is left open (Linux: /proc/self/fd).
    const openFds = (): number | null => {
      try {
        return readdirSync("/proc/self/fd").length;
      } catch {
        return null;
      }
    };
    const before = openFds();
    const first: LogRecord[] = [];
    const stream = readEvents(root, { blockBytes: 2048, maxOpenFiles: 2 });
    for await (const record of stream) {
      first.push(record);
      if (first.length === 5) break;
    }
    expect(openFds()).toBe(before);
    expect(ids(first), `seed ${seed}`).toEqual(
      fullScan(files, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY)
        .slice(0, 5)
        .map((l) => `${l.file}:${l.seq}`),
    );
  });
});

describe("readEvents with index worker threads (issue 25)", () => {
  async function listing(dir: string): Promise<Map<string, string>> {
    const { readdir, readFile } = await import("node:fs/promises");
    const sub = join(dir, "event-index-v4");
    const out = new Map<string, string>();
    // The per-file indexes; the manifest (a copy of them, naming the dir) is left out.
    for (const name of await readdir(sub))
      if (!name.startsWith("manifest-")) out.set(name, await readFile(join(sub, name), "utf8"));
    return out;
  }

  it("index in workers exactly what the calling thread indexes, and read the same lines, under skew", async () => {
    const seed = Number(process.env.SOURCES_SEED ?? Date.now() % 1_000_000);
    const rand = rng(seed);
    const { cp } = await import("node:fs/promises");
    // Two rounds: each starts its workers, which from source (tsx) takes a while on a busy box.
    for (let round = 0; round < 2; round++) {
      let files = generate(rand);
      while (files.length < 2) files = generate(rand);
      root = await writeFiles(files);
      cache = await mkdtemp(join(tmpdir(), "catalyst-cache-"));
      // A fresh copy of the log for the in-thread index: this process remembers files by path.
      const copy = await mkdtemp(join(tmpdir(), "catalyst-log-"));
      const here = await mkdtemp(join(tmpdir(), "catalyst-cache-"));
      try {
        await cp(root, copy, { recursive: true });
        const blockBytes = 512 + Math.floor(rand() * 4096);
        // Past every line: nothing is read, so the saved index is the one indexing built.
        const none = { blockBytes, maxOpenFiles: 2, since: new Date(FAR_FUTURE + 1) };
        const inWorkers = readEvents(root, {
          ...none,
          indexDir: cache,
          indexWorkers: 2,
          indexWorkerMinBytes: 0,
        });
        await collect(inWorkers);
        // Every byte was indexed by a worker, by at most two of them.
        expect(inWorkers.stats.bytesIndexed).toBeGreaterThan(0);
        expect(inWorkers.stats.bytesIndexedInWorkers, `seed ${seed}`).toBe(inWorkers.stats.bytesIndexed);
        expect(inWorkers.stats.indexWorkers ?? 0).toBeGreaterThan(0);
        expect(inWorkers.stats.indexWorkers ?? 0).toBeLessThanOrEqual(2);
        await collect(readEvents(copy, { ...none, indexDir: here, indexWorkers: 0 }));
        const strip = (m: Map<string, string>): string[] =>
          [...m.values()]
            .map((t) => t.replace(/"file":"[^"]*","dev":\d+,"ino":\d+/, "").replace(/"statKey":"[^"]*"/, ""))
            .sort();
        expect(strip(await listing(cache)), `seed ${seed} round ${round}`).toEqual(
          strip(await listing(here)),
        );
        // And a window read over the index the workers built is the full scan.
        for (let q = 0; q < 3; q++) {
          const w = pickWindow(rand, files);
          const got = await collect(readEvents(root, { ...windowOptions(w), blockBytes, indexDir: cache }));
          const want = fullScan(files, w.sinceMs, w.untilMs).map((l) => `${l.file}:${l.seq}`);
          expect(ids(got), `seed ${seed} round ${round} query ${q}`).toEqual(want);
        }
      } finally {
        await removeTree(here);
        await removeTree(copy);
        await removeTree(root);
        await removeTree(cache);
      }
    }
  });

  it("indexes the newest files first, so a late window's files are ready first", async () => {
    const text = (month: string): string =>
      Array.from(
        { length: 50 },
        (_, i) => `{"ts":"2026-${month}-01T00:00:${String(i).padStart(2, "0")}Z","event":"archive"}\n`,
      ).join("");
    root = await makeTree({
      "events/2026-02.jsonl": text("02"),
      "events/2026-03.jsonl": text("03"),
      "events/2026-04.jsonl": text("04"),
    });
    const order: string[] = [];
    const stream = readEvents(root, {
      maxOpenFiles: 1,
      indexWorkers: 0,
      onProgress: (p) => {
        const name = p.file.slice(-13);
        if (order.at(-1) !== name) order.push(name);
      },
    });
    const got = await collect(stream);
    expect(order).toEqual(["2026-04.jsonl", "2026-03.jsonl", "2026-02.jsonl"]);
    expect(got.map((r) => r.event.tsMs)).toEqual([...got.map((r) => r.event.tsMs)].sort((a, b) => a - b));
    expect(got).toHaveLength(150);
  });
});
