import { describe, expect, it } from "vitest";
import { createSeededRandom } from "./seeded-random.js";

describe("createSeededRandom", () => {
  it("replays the same sequence for the same seed", () => {
    const a = createSeededRandom(42);
    const b = createSeededRandom(42);
    const seqA = Array.from({ length: 50 }, () => a.next());
    const seqB = Array.from({ length: 50 }, () => b.next());
    expect(seqA).toEqual(seqB);
    expect(seqA.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it("gives another sequence for another seed", () => {
    const a = createSeededRandom(1);
    const b = createSeededRandom(2);
    expect(Array.from({ length: 5 }, () => a.next())).not.toEqual(Array.from({ length: 5 }, () => b.next()));
  });

  it("keeps int() within its inclusive bounds and reaches both ends", () => {
    const r = createSeededRandom(7);
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) seen.add(r.int(3, 6));
    expect([...seen].sort()).toEqual([3, 4, 5, 6]);
  });

  it("shuffles into a permutation and picks members", () => {
    const r = createSeededRandom(9);
    const items = ["a", "b", "c", "d", "e"];
    expect(r.shuffle(items).sort()).toEqual(items);
    expect(items).toContain(r.pick(items));
    expect(() => r.pick([])).toThrow(RangeError);
  });
});
