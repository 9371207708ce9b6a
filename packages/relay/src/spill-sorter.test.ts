import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compareRelayEvents, createSpillSorter, type RelayEvent } from "./spill-sorter.js";

let root = "";
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "relay-sort-"));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** Events with many ties, multi-byte and escaped text, out of order, some of them twice. */
function events(n: number, seed = 7): RelayEvent[] {
  let x = seed;
  const rand = (m: number) => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x % m;
  };
  const out: RelayEvent[] = [];
  for (let i = 0; i < n; i++) {
    const host = ["a", "b", "c.d", "é"][rand(4)]!;
    const file = ["events.jsonl", "events/2026-04.jsonl"][rand(2)]!;
    const generation = rand(2);
    const offset = rand(500) * 10;
    // A line's text and ts follow from where it is: the same key twice is the same line published twice.
    const tsMs = [0, 4102444800000, 1776193200000 + (offset % 50) * 1000][offset % 3]!;
    out.push({
      host,
      file,
      generation,
      offset,
      tsMs,
      text: `{"ts":"x","at":"${host}${file}${generation}${offset}","s":"é\\n\\u0000 ${"y".repeat(offset % 300)}"}`,
    });
  }
  return out;
}

/** The expected output: sorted, one per (host, file, generation, offset) — the first of equal keys kept. */
function expected(input: RelayEvent[]): RelayEvent[] {
  const sorted = [...input].sort(compareRelayEvents);
  return sorted.filter((e, i) => i === 0 || compareRelayEvents(sorted[i - 1]!, e) !== 0);
}

async function sortAll(input: RelayEvent[], budgetBytes: number, fanIn?: number) {
  const tmp = await mkdtemp(join(root, "t-"));
  const sorter = createSpillSorter({ budgetBytes, tmpDir: tmp, ...(fanIn ? { fanIn } : {}) });
  for (const e of input) await sorter.add(e);
  const out: RelayEvent[] = [];
  for await (const e of sorter.drain()) out.push(e);
  return { out, stats: sorter.stats, left: await readdir(tmp) };
}

describe("createSpillSorter", () => {
  it("sorts by ts, host, file, generation, offset in memory, each line once", async () => {
    const input = events(2000);
    const { out, stats, left } = await sortAll(input, 64 * 1024 * 1024);
    expect(stats.runs).toBe(0);
    expect(out.map((e) => [e.tsMs, e.host, e.file, e.generation, e.offset])).toEqual(
      expected(input).map((e) => [e.tsMs, e.host, e.file, e.generation, e.offset]),
    );
    expect(stats.duplicates).toBe(input.length - out.length);
    expect(left).toEqual([]);
  });

  it("spills sorted runs past the budget, merges them (in passes past the fan-in) to the same output, and removes them", async () => {
    const input = events(3000, 11);
    const inMemory = (await sortAll(input, 64 * 1024 * 1024)).out;
    const spilled = await sortAll(input, 16 * 1024, 4);
    expect(spilled.stats.runs).toBeGreaterThan(20);
    expect(spilled.out.map((e) => [e.host, e.file, e.generation, e.offset, e.tsMs])).toEqual(
      inMemory.map((e) => [e.host, e.file, e.generation, e.offset, e.tsMs]),
    );
    // The texts survive the round trip through the run files exactly.
    expect(spilled.out.map((e) => e.text)).toEqual(inMemory.map((e) => e.text));
    expect(spilled.left).toEqual([]);
  });

  it("removes its temp dir when the reader stops early", async () => {
    const tmp = await mkdtemp(join(root, "early-"));
    const sorter = createSpillSorter({ budgetBytes: 4096, tmpDir: tmp });
    for (const e of events(500)) await sorter.add(e);
    expect((await readdir(tmp)).length).toBe(1);
    for await (const _ of sorter.drain()) break;
    expect(await readdir(tmp)).toEqual([]);
  });
});
