import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LINES_PER_TURN, pacer, readWork, SORT_RUN } from "./read-pace.js";
import { compareRelayEvents, createSpillSorter, type RelayEvent } from "./spill-sorter.js";

// The sort of a relay read in pieces (issue 25): the buffer sorted a run at a time as it fills and
// the runs merged, a turn of the event loop every few hundred events, with exactly the order one
// stable sort of the whole buffer gives (the first of equal keys kept).

let root = "";
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "relay-sort-pace-"));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** Out-of-order events with many equal keys whose texts differ (so an unstable order shows). */
function events(n: number): RelayEvent[] {
  let x = 11;
  const rand = (m: number) => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x % m;
  };
  return Array.from({ length: n }, (_, i) => {
    const offset = rand(700) * 10;
    return {
      host: ["h1", "h2", "h3"][rand(3)]!,
      file: "events/2026-04.jsonl",
      generation: rand(2),
      offset,
      // Clocks all over the place: 1970, 2099, and a jittered hour.
      tsMs: [0, 4102444800000, 1776193200000 + rand(60) * 1000][rand(3)]!,
      text: `{"n":${i}}`,
    };
  });
}

/** What one stable sort of everything gives, each key once (the first added kept). */
function expected(all: RelayEvent[]): RelayEvent[] {
  const out: RelayEvent[] = [];
  for (const e of [...all].sort(compareRelayEvents))
    if (out.length === 0 || compareRelayEvents(out.at(-1)!, e) !== 0) out.push(e);
  return out;
}

/**
 * Drains `all` through a sorter and samples, at every turn of the event loop, the events sorted
 * and handed out since the last turn: the most of each between two turns.
 */
async function drainWatched(all: RelayEvent[], budgetBytes: number) {
  const sorter = createSpillSorter({ budgetBytes, tmpDir: root, fanIn: 4 });
  let out: RelayEvent[] = [];
  let seen = { sorted: readWork.sorted, out: 0 };
  const most = { sorted: 0, out: 0, turns: 0 };
  let done = false;
  const look = (): void => {
    most.sorted = Math.max(most.sorted, readWork.sorted - seen.sorted);
    most.out = Math.max(most.out, out.length - seen.out);
    most.turns++;
    seen = { sorted: readWork.sorted, out: out.length };
    if (!done) setImmediate(look);
  };
  setImmediate(look);
  try {
    // Added as a read adds them: a turn every LINES_PER_TURN lines.
    const pace = pacer();
    for (const e of all) {
      await sorter.add(e);
      await pace();
    }
    for await (const e of sorter.drain()) out.push(e);
    look();
  } finally {
    done = true;
  }
  const result = out;
  out = [];
  return { result, most, stats: sorter.stats };
}

describe("the spill sorter in pieces", () => {
  it("sorts at most one run and hands out at most two turns' events between two turns, in one sort's order", async () => {
    const all = events(4 * SORT_RUN + 37);
    const { result, most, stats } = await drainWatched(all, 1 << 30);
    expect(stats.runs).toBe(0);
    expect(result).toEqual(expected(all));
    expect(stats.duplicates).toBe(all.length - result.length);
    expect(stats.duplicates).toBeGreaterThan(0);
    // One sort of the whole buffer would show 4,133 here, and every event in one turn.
    expect(most.sorted).toBeLessThanOrEqual(SORT_RUN);
    expect(most.out).toBeLessThanOrEqual(2 * LINES_PER_TURN);
    expect(most.turns).toBeGreaterThan(all.length / (2 * LINES_PER_TURN));
  });

  it("spilled to run files (and merged in passes): the same order, the same bounds", async () => {
    const all = events(2 * SORT_RUN + 37);
    const inMemory = await drainWatched(all, 1 << 30);
    const spilled = await drainWatched(all, 64 * 1024);
    expect(spilled.stats.runs).toBeGreaterThan(4);
    expect(spilled.result.map((e) => [e.host, e.file, e.generation, e.offset, e.tsMs])).toEqual(
      inMemory.result.map((e) => [e.host, e.file, e.generation, e.offset, e.tsMs]),
    );
    expect(spilled.stats.duplicates).toBe(inMemory.stats.duplicates);
    expect(spilled.most.sorted).toBeLessThanOrEqual(SORT_RUN);
    expect(spilled.most.out).toBeLessThanOrEqual(2 * LINES_PER_TURN);
  });
});
