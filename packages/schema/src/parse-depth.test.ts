import { describe, expect, it } from "vitest";
import { jsonDepth, MAX_JSON_DEPTH, parseEventLine, parseSignalText, trimForMessage } from "./index.js";

// Issue 17: JSON nested deep enough to overflow recursive walks is refused before it is decoded.

const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;

describe("JSON depth cap", () => {
  it("measures nesting and ignores brackets inside strings", () => {
    expect(jsonDepth('{"a":[1,{"b":"[[[{{{"}]}')).toBe(3);
    expect(jsonDepth('"\\"[["')).toBe(0);
    expect(jsonDepth("[".repeat(1000), 10)).toBe(11);
  });

  it("a signal whose cost is nested 6,000 deep is an issue naming the file, not a throw", () => {
    const text = `{"ticket":"CTL-1","status":"implementing","phase":3,"cost":${nested(6000)}}`;
    const res = parseSignalText(text, "/w/CTL-1.json");
    expect(res.ok).toBe(false);
    if (!res.ok)
      expect(res.error.message).toBe(
        `/w/CTL-1.json: at $: expected JSON nested at most ${MAX_JSON_DEPTH} deep, received a document nested more than ${MAX_JSON_DEPTH} deep`,
      );
  });

  it("a 100k-deep top-level array still gives a message", () => {
    const res = parseSignalText(`${"[".repeat(100_000)}${"]".repeat(100_000)}`, "/w/x.json");
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error.message).toContain("/w/x.json");
  });

  it("a deep log line is an issue; a normal one is not scanned", () => {
    const res = parseEventLine(
      `{"ts":"2026-04-14T19:00:00Z","event":"x","detail":${nested(3000)}}`,
      "/e.jsonl",
    );
    expect(res.ok).toBe(false);
    expect(parseEventLine('{"ts":"2026-04-14T19:00:00Z","event":"x","detail":{"a":{"b":1}}}').ok).toBe(true);
  });

  it("trimForMessage survives a value too deep to stringify", () => {
    let deep: unknown[] = [];
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(typeof trimForMessage(deep)).toBe("string");
  });
});
