import { describe, expect, it } from "vitest";
import { createLineSplitter } from "./split-lines.js";

const b = (s: string) => Buffer.from(s, "utf8");

describe("createLineSplitter", () => {
  it("emits complete lines with byte offsets and carries a partial line across chunks", () => {
    const s = createLineSplitter(100, 1024);
    expect(s.push(b("ab\ncd"))).toEqual([{ kind: "line", offset: 100, text: "ab" }]);
    expect(s.pendingBytes()).toBe(2);
    expect(s.push(b("e"))).toEqual([]);
    expect(s.push(b("f\r\n\n"))).toEqual([
      { kind: "line", offset: 103, text: "cdef" },
      { kind: "line", offset: 109, text: "" },
    ]);
    expect(s.position()).toBe(110);
  });

  it("counts offsets in bytes and never splits a multi-byte character", () => {
    const s = createLineSplitter(0, 1024);
    const text = b("é€\nx\n");
    const out = [...s.push(text.subarray(0, 3)), ...s.push(text.subarray(3))];
    expect(out).toEqual([
      { kind: "line", offset: 0, text: "é€" },
      { kind: "line", offset: 6, text: "x" },
    ]);
  });

  it("drops an over-long line as it streams and reports it as oversized", () => {
    const s = createLineSplitter(0, 8);
    expect(s.push(b("12345"))).toEqual([]);
    expect(s.push(b("6789"))).toEqual([]);
    expect(s.pendingBytes()).toBe(9);
    expect(s.push(b("0\nok\n0123456789\n"))).toEqual([
      { kind: "oversized", offset: 0, bytes: 10 },
      { kind: "line", offset: 11, text: "ok" },
      { kind: "oversized", offset: 14, bytes: 10 },
    ]);
  });

  it("hands back the carried partial line once", () => {
    const s = createLineSplitter(0, 1024);
    s.push(b('a\n{"x":'));
    expect(s.takePartial()).toEqual({ offset: 2, text: '{"x":' });
    expect(s.takePartial()).toBeNull();
  });
});
