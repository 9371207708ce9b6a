import { describe, expect, it } from "vitest";
import { contentKey } from "./watch-sources.js";

describe("contentKey (what the watcher keeps of a file's text)", () => {
  it("is the same for the same text and differs for a different text of the same length", () => {
    const a = JSON.stringify({ status: "implementing", updatedAt: "2026-12-07T00:00:00Z" }, null, 2);
    const b = a.replace("implementing", "implementinG");
    expect(b.length).toBe(a.length);
    expect(contentKey(a)).toBe(contentKey(`${a}`));
    expect(contentKey(a)).not.toBe(contentKey(b));
    expect(contentKey("")).not.toBe(""); // "" marks an unreadable file
  });

  it("keeps a bounded number of characters however large the file (issue 26: not the text itself)", () => {
    const big = "x".repeat(4 * 1024 * 1024); // a 4 MB global state.json
    expect(contentKey(big).length).toBeLessThan(40);
    expect(contentKey("é\u2028\u{1F600}").length).toBeLessThan(40);
  });
});
