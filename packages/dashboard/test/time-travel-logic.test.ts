import { describe, expect, it } from "vitest";
import { atFromSearch, formatViewed, parseAtInput, withAt } from "../src/time-travel.js";

// The scrubber's pure parts (issue 25): typed times, and `?at=` in the URL next to the filters.

describe("time travel in the URL and the text box", () => {
  it("reads typed times as UTC, with or without seconds or a zone, and refuses the rest", () => {
    expect(parseAtInput("2026-04-14 03:00")).toBe(Date.parse("2026-04-14T03:00:00Z"));
    expect(parseAtInput("2026-04-14T03:00:30")).toBe(Date.parse("2026-04-14T03:00:30Z"));
    expect(parseAtInput("2026-04-14")).toBe(Date.parse("2026-04-14T00:00:00Z"));
    expect(parseAtInput("2026-04-14T05:00:00+02:00")).toBe(Date.parse("2026-04-14T03:00:00Z"));
    for (const bad of ["", "yesterday", "2026-04-14T25:00", "14/04/2026", "2026-04-14T03"])
      expect(parseAtInput(bad), bad).toBeNull();
  });

  it("keeps the other parameters when it sets or drops ?at=", () => {
    const search = "?orch=api,web&token=t";
    const at = Date.parse("2026-04-14T03:00:00Z");
    const set = withAt(search, at);
    expect(set).toBe("?orch=api,web&token=t&at=2026-04-14T03:00:00.000Z");
    expect(atFromSearch(set)).toBe(at);
    expect(withAt(set, null)).toBe(search);
    expect(atFromSearch("?at=garbage")).toBeNull();
    expect(formatViewed(at)).toBe("2026-04-14 03:00:00 UTC");
  });
});
