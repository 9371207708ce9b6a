import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { slowTimestampMs, timestampMs } from "./timestamp.js";

const pad = (n: number, w: number) => String(n).padStart(w, "0");

describe("timestampMs", () => {
  it("agrees with the general parser on the shell and TypeScript forms, valid or not", () => {
    const stamp = fc
      .record({
        y: fc.integer({ min: 0, max: 9999 }),
        mo: fc.integer({ min: 0, max: 13 }),
        d: fc.integer({ min: 0, max: 32 }),
        h: fc.integer({ min: 0, max: 25 }),
        mi: fc.integer({ min: 0, max: 61 }),
        s: fc.integer({ min: 0, max: 61 }),
        ms: fc.option(fc.integer({ min: 0, max: 999 })),
      })
      .map(
        ({ y, mo, d, h, mi, s, ms }) =>
          `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}${ms === null ? "" : `.${pad(ms, 3)}`}Z`,
      );
    fc.assert(
      fc.property(stamp, (ts) => {
        expect(Object.is(timestampMs(ts), slowTimestampMs(ts)), ts).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });

  it("agrees on arbitrary strings of the same lengths", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 20, maxLength: 24 }), (ts) => {
        expect(Object.is(timestampMs(ts), slowTimestampMs(ts)), ts).toBe(true);
      }),
      { numRuns: 5_000 },
    );
  });

  it.each([
    ["2026-02-28T23:59:59Z", Date.UTC(2026, 1, 28, 23, 59, 59)],
    ["2024-02-29T00:00:00Z", Date.UTC(2024, 1, 29)],
    ["2026-04-14T19:03:01.482Z", Date.UTC(2026, 3, 14, 19, 3, 1, 482)],
    ["2026-04-14T19:03:01+02:00", Date.UTC(2026, 3, 14, 17, 3, 1)],
    ["2026-04-14 19:03:01Z", Number.NaN],
  ])("%s", (ts, ms) => {
    expect(timestampMs(ts)).toBe(ms);
  });
});
