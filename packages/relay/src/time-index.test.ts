import { describe, expect, it } from "vitest";
import { addSeq, MAX_RANGES, normaliseRanges, parseMeta, type SeqRange } from "./time-index.js";

// The ranges of one hour bucket: every sequence added is inside a range (the reader's guarantee),
// lines published one after another stay one range, and the count stays bounded.

function covers(ranges: readonly SeqRange[], seq: number): boolean {
  return ranges.some(([lo, hi]) => lo <= seq && seq <= hi);
}

describe("addSeq", () => {
  it("extends the range that ends at the host's previous sequence, even across other hosts' sequences", () => {
    let r: SeqRange[] = [];
    r = addSeq(r, 10, null);
    r = addSeq(r, 14, 10); // other hosts wrote 11..13
    r = addSeq(r, 20, 14);
    expect(r).toEqual([[10, 20]]);
  });

  it("starts a new range after a line of another hour, and keeps a re-published old sequence", () => {
    let r: SeqRange[] = [[10, 20]];
    r = addSeq(r, 30, 25); // the host's line 25 went to another hour
    expect(r).toEqual([
      [10, 20],
      [30, 30],
    ]);
    expect(addSeq(r, 15, 30)).toBe(r); // already covered: unchanged
    r = addSeq(r, 5, 30); // a copy acknowledged with its old sequence
    expect(r).toEqual([
      [5, 5],
      [10, 20],
      [30, 30],
    ]);
  });

  it("never holds more than MAX_RANGES, merging the closest, and still covers every sequence", () => {
    let r: SeqRange[] = [];
    const added: number[] = [];
    let seed = 7;
    for (let i = 0; i < 500; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const seq = 1 + (seed % 100_000);
      added.push(seq);
      r = addSeq(r, seq, null);
      expect(r.length).toBeLessThanOrEqual(MAX_RANGES);
    }
    for (const seq of added) expect(covers(r, seq)).toBe(true);
    for (let i = 1; i < r.length; i++) expect(r[i]![0]).toBeGreaterThan(r[i - 1]![1] + 1);
  });

  it("joins touching and overlapping ranges", () => {
    expect(
      normaliseRanges([
        [5, 6],
        [1, 3],
        [4, 4],
        [9, 12],
        [10, 11],
      ]),
    ).toEqual([
      [1, 6],
      [9, 12],
    ]);
  });
});

describe("parseMeta", () => {
  it("refuses what it did not write", () => {
    expect(parseMeta('{"v":1,"from":1,"mark":0,"blocks":{"3":[504,510]}}')).not.toBeNull();
    for (const bad of [
      "{",
      "null",
      '{"v":2,"from":1,"mark":0,"blocks":{}}',
      '{"v":1,"from":"1","mark":0,"blocks":{}}',
    ])
      expect(parseMeta(bad)).toBeNull();
  });
});
