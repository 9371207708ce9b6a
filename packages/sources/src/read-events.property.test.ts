import { readdirSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { LogRecord } from "@catalyst/schema";
import { afterEach, describe, expect, it } from "vitest";
import { readEvents } from "./index.js";
import { makeTree, removeTree, rng, v1Line } from "./test-tree.test-helper.js";

// Property tests of readEvents' ordering: random, partly backfilled logs across several files
// (the legacy events.jsonl and month files whose times overlap), checked against a plain sort and
// against a direct model of the documented rule. Each case prints its seed; replay one with
// SOURCES_SEED=<n>.

let root = "";
afterEach(() => removeTree(root));

/** One valid line of a generated file: its time and its identity (file, index among valid lines). */
interface GenLine {
  ts: number;
  file: number;
  seq: number;
}

interface GenFile {
  name: string;
  text: string;
  lines: GenLine[];
}

const FILE_NAMES = ["events.jsonl", "events/2026-03.jsonl", "events/2026-04.jsonl", "events/2026-05.jsonl"];
const BASE = Date.parse("2026-04-01T00:00:00Z");

/**
 * Random files: clocks that move forward by whole seconds (so equal times are common and the
 * tie-break by file, then offset, matters), some lines backfilled, some garbage and blank lines,
 * sometimes an unterminated last line. `maxBack` is how far back a backfilled line may go
 * relative to the newest line before it in its file.
 */
function generate(rand: () => number, maxBack: number, bigFile: boolean): GenFile[] {
  const count = 2 + Math.floor(rand() * 3);
  const files: GenFile[] = [];
  for (let f = 0; f < count; f++) {
    const n = bigFile && f === count - 1 ? 12_000 : Math.floor(rand() * 3_000);
    // Files overlap in time: each starts somewhere in the first hour.
    let clock = BASE + Math.floor(rand() * 3_600) * 1_000;
    let newest = Number.NEGATIVE_INFINITY;
    const parts: string[] = [];
    const lines: GenLine[] = [];
    for (let i = 0; i < n; i++) {
      const r = rand();
      if (r < 0.01) parts.push("not json");
      else if (r < 0.015) parts.push("");
      clock += Math.floor(rand() * 4) * 1_000;
      let ts = clock;
      if (rand() < 0.08) ts = Math.max(BASE, newest - Math.floor(rand() * (maxBack + 1)));
      if (ts > newest) newest = ts;
      const seq = lines.length;
      lines.push({ ts, file: f, seq });
      parts.push(v1Line(new Date(ts).toISOString(), "archive", { f, seq }));
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

function idOf(line: GenLine): string {
  return `${line.file}:${line.seq}`;
}

async function collect(it: AsyncIterable<LogRecord>): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const r of it) out.push(r);
  return out;
}

/**
 * The documented rule, written out plainly: per file, a line is held until the newest time seen
 * minus the skew has reached it, then released smallest first (time, then offset); reading stops
 * once newest minus skew reaches `until`; files are merged by always taking the smallest head
 * (time, then file, then offset). Equal to a plain sort whenever no line is backfilled by more
 * than the skew, and says exactly what comes out when one is.
 */
function model(files: GenFile[], sinceMs: number, untilMs: number, skewMs: number): GenLine[] {
  const byTimeThenSeq = (a: GenLine, b: GenLine): number => a.ts - b.ts || a.seq - b.seq;
  const streams = files.map((file) => {
    const out: GenLine[] = [];
    let held: GenLine[] = [];
    let newest = Number.NEGATIVE_INFINITY;
    for (const line of file.lines) {
      newest = Math.max(newest, line.ts);
      if (line.ts >= sinceMs && line.ts < untilMs) held.push(line);
      held.sort(byTimeThenSeq);
      const ready = held.filter((l) => l.ts <= newest - skewMs);
      held = held.filter((l) => l.ts > newest - skewMs);
      out.push(...ready);
      if (newest - skewMs >= untilMs) break;
    }
    out.push(...held);
    return out;
  });
  const merged: GenLine[] = [];
  const at = streams.map(() => 0);
  for (;;) {
    let best = -1;
    for (let s = 0; s < streams.length; s++) {
      const head = streams[s]![at[s]!];
      if (head === undefined) continue;
      const top = best === -1 ? undefined : streams[best]![at[best]!]!;
      if (top === undefined || head.ts < top.ts) best = s; // equal times: the lower file index wins
    }
    if (best === -1) return merged;
    merged.push(streams[best]![at[best]!]!);
    at[best]! += 1;
  }
}

describe("readEvents ordering (property)", () => {
  it("equals a plain sort by (time, file, offset) when backfills stay within the skew", async () => {
    const seed = Number(process.env.SOURCES_SEED ?? Date.now() % 1_000_000);
    const rand = rng(seed);
    for (let round = 0; round < 6; round++) {
      const skewMs = 120_000;
      const files = generate(rand, skewMs, round === 0);
      root = await writeFiles(files);
      const all = files.flatMap((f) => f.lines);
      const end = Math.max(BASE, ...all.map((l) => l.ts)) + 1_000;
      // Half the rounds read everything; the others a random window (which exercises the seek).
      const windowed = round % 2 === 1;
      const sinceMs = windowed ? BASE + Math.floor(rand() * (end - BASE)) : Number.NEGATIVE_INFINITY;
      const untilMs = windowed
        ? sinceMs + Math.floor(rand() * (end - sinceMs + 1))
        : Number.POSITIVE_INFINITY;
      const it = readEvents(root, {
        skewMs,
        ...(windowed ? { since: new Date(sinceMs), until: new Date(untilMs) } : {}),
      });
      const got = ids(await collect(it));
      const want = all
        .filter((l) => l.ts >= sinceMs && l.ts < untilMs)
        .sort((a, b) => a.ts - b.ts || a.file - b.file || a.seq - b.seq)
        .map(idOf);
      expect(got, `seed ${seed} round ${round}`).toEqual(want);
      expect(it.stats.files, `seed ${seed} round ${round}`).toBe(files.length);
      await removeTree(root);
    }
  });

  it("follows the documented hold-and-merge rule exactly when backfills exceed the skew", async () => {
    const seed = Number(process.env.SOURCES_SEED ?? Date.now() % 1_000_000);
    const rand = rng(seed);
    for (let round = 0; round < 6; round++) {
      const skewMs = 30_000;
      // Backfills up to 10× the skew: some lines arrive after later ones were already released.
      const files = generate(rand, skewMs * 10, round === 0);
      root = await writeFiles(files);
      const all = files.flatMap((f) => f.lines);
      const end = Math.max(BASE, ...all.map((l) => l.ts)) + 1_000;
      // No `since`: the seek is only promised to find lines within the skew. `until` stops early.
      const untilMs = round % 2 === 1 ? BASE + Math.floor(rand() * (end - BASE)) : Number.POSITIVE_INFINITY;
      const got = ids(
        await collect(readEvents(root, { skewMs, ...(round % 2 === 1 ? { until: new Date(untilMs) } : {}) })),
      );
      const want = model(files, Number.NEGATIVE_INFINITY, untilMs, skewMs).map(idOf);
      expect(got, `seed ${seed} round ${round}`).toEqual(want);
      await removeTree(root);
    }
  });

  it("applies the filter after the merge and stops cleanly when the consumer breaks off", async () => {
    const seed = Number(process.env.SOURCES_SEED ?? Date.now() % 1_000_000);
    const rand = rng(seed);
    const skewMs = 60_000;
    const files = generate(rand, skewMs, true);
    root = await writeFiles(files);
    const keep = (seq: number): boolean => seq % 3 !== 0;
    const got = ids(
      await collect(
        readEvents(root, { skewMs, filter: (e) => keep(((e.raw ?? {}) as { seq?: number }).seq ?? 0) }),
      ),
    );
    const want = model(files, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, skewMs)
      .filter((l) => keep(l.seq))
      .map(idOf);
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
    const stream = readEvents(root, { skewMs });
    for await (const record of stream) {
      first.push(record);
      if (first.length === 5) break;
    }
    expect(openFds()).toBe(before);
    expect(ids(first), `seed ${seed}`).toEqual(
      model(files, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, skewMs).slice(0, 5).map(idOf),
    );
  });
});
