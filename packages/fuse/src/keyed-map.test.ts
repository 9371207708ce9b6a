import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  deleteKey,
  emptyKeyedMap,
  type KeyedMap,
  keysOf,
  setKey,
  toRecord,
  withChanges,
} from "./keyed-map.js";

// Keys collide (a small set) and include names an object literal treats specially.
const key = fc.constantFrom("k1", "k2", "k3", "k4", "k5", "k6", "k7", "__proto__", "toString", "constructor");

describe("withChanges", () => {
  it("makes the same map as setKey/deleteKey one change at a time, leaving the old map as it was", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(key, fc.integer())),
        fc.array(fc.tuple(key, fc.option(fc.integer(), { nil: undefined }))),
        (initial, changes) => {
          let base: KeyedMap<number> = emptyKeyedMap();
          for (const [k, v] of initial) base = setKey(base, k, v);
          const before = JSON.stringify(Object.entries(toRecord(base)));
          let oneByOne = base;
          for (const [k, v] of changes)
            oneByOne = v === undefined ? deleteKey(oneByOne, k) : setKey(oneByOne, k, v);
          const batched = withChanges(base, changes);
          expect(batched.size).toBe(oneByOne.size);
          expect(keysOf(batched)).toEqual(keysOf(oneByOne));
          expect(Object.entries(toRecord(batched))).toEqual(Object.entries(toRecord(oneByOne)));
          expect(JSON.stringify(Object.entries(toRecord(base)))).toBe(before);
          if (oneByOne === base) expect(batched).toBe(base);
        },
      ),
    );
  });

  it("setKey with a draft's fresh set changes only what that draft made, and makes the same map", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(key, fc.integer())),
        fc.array(fc.tuple(key, fc.integer())),
        (initial, sets) => {
          let base: KeyedMap<number> = emptyKeyedMap();
          for (const [k, v] of initial) base = setKey(base, k, v);
          const before = JSON.stringify(Object.entries(toRecord(base)));
          const fresh = new WeakSet<object>();
          let plain = base;
          let inPlace = base;
          for (const [k, v] of sets) {
            plain = setKey(plain, k, v);
            inPlace = setKey(inPlace, k, v, fresh);
          }
          expect(inPlace.size).toBe(plain.size);
          expect(Object.entries(toRecord(inPlace))).toEqual(Object.entries(toRecord(plain)));
          expect(JSON.stringify(Object.entries(toRecord(base)))).toBe(before);
          // The next draft (a new fresh set) copies before it writes.
          const kept = JSON.stringify(Object.entries(toRecord(inPlace)));
          setKey(inPlace, "k1", -1, new WeakSet());
          expect(JSON.stringify(Object.entries(toRecord(inPlace)))).toBe(kept);
        },
      ),
    );
  });
});
