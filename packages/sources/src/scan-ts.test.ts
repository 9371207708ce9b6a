import { describe, expect, it } from "vitest";
import { scanFirstTs, scanTs } from "./scan-ts.js";

const scan = (line: string) => scanTs(Buffer.from(line), 0, Buffer.byteLength(line));

describe("scanTs", () => {
  it("reads a leading ts (v1 and canonical writers) with or without milliseconds", () => {
    expect(scan('{"ts":"2026-08-13T10:00:00Z","event":"x"}')).toBe(Date.parse("2026-08-13T10:00:00Z"));
    expect(scan('{"ts":"2026-08-13T10:00:00.500Z","event":"x"}')).toBe(
      Date.parse("2026-08-13T10:00:00.500Z"),
    );
  });

  it("R1.13 reads the trailing ts of a bare v3 line", () => {
    expect(
      scan('{"name":"phase.rescue.escalated.CTL-88","ticket":"CTL-88","ts":"2026-08-06T22:41:09.318Z"}'),
    ).toBe(Date.parse("2026-08-06T22:41:09.318Z"));
    expect(scan('{"name":"n","ts":"2026-08-06T22:41:09Z"}')).toBe(Date.parse("2026-08-06T22:41:09Z"));
  });

  it("gives up (NaN, the parser decides) on anything else", () => {
    expect(scan('{"name":"n","x":{"ts":"2026-08-06T22:41:09Z"}}')).toBeNaN();
    expect(scan('{"name":"n","ts":"yesterday"}')).toBeNaN();
    expect(scan('{"name":"n","ts":"2026-08-06T22:41:09Z"} ')).toBeNaN();
    expect(scan("")).toBeNaN();
  });

  it("scanFirstTs vouches for a ts only when the parse must agree: a closing one, or a first one with no later key", () => {
    const first = (line: string) => scanFirstTs(Buffer.from(line), 0, Buffer.byteLength(line));
    const at = Date.parse("2026-08-13T10:00:00Z");
    // The bare v3 ts closes the line: the last top-level key, the one JSON.parse keeps.
    expect(first('{"name":"a","ts":"2026-08-13T10:00:00Z"}')).toBe(at);
    expect(first('{"ts":"2020-01-01T00:00:00Z","name":"a","ts":"2026-08-13T10:00:00Z"}')).toBeNaN();
    expect(first('{"ts":"2026-08-13T10:00:00Z","name":"a"}')).toBe(at);
    expect(first('{"ts":"2026-08-13T10:00:00Z", "ts":"2020-01-01T00:00:00Z"}')).toBeNaN();
    expect(first('{"ts":"2026-08-13T10:00:00Z","t\\u0073":"2020-01-01T00:00:00Z"}')).toBeNaN();
    // Another `ts"` that may close a key: any whitespace before the colon, a nested one, or a key
    // merely ending in `ts` (a parse decides); a value ending in `ts`, or an escaped quote, is not.
    expect(first('{"ts":"2026-08-13T10:00:00Z","a":1 ,\t"ts" :"2020-01-01T00:00:00Z"}')).toBeNaN();
    expect(first('{"ts":"2026-08-13T10:00:00Z","x":{"ts":"2020-01-01T00:00:00Z"}}')).toBeNaN();
    expect(first('{"ts":"2026-08-13T10:00:00Z","parts":1}')).toBeNaN();
    expect(first('{"ts":"2026-08-13T10:00:00Z","note":"parts","list":["ts"]}')).toBe(at);
    expect(first('{"ts":"2026-08-13T10:00:00Z","note":"say \\"ts\\": here"}')).toBe(at);
    // A nested object closing the line is not the top level: not a closing ts.
    expect(first('{"name":"a","x":{"ts":"2026-08-13T10:00:00Z"}}')).toBeNaN();
    for (const line of [
      '{"name":"a","ts":"2026-08-13T10:00:00Z"}',
      '{"ts":"2020-01-01T00:00:00Z","name":"a","ts":"2026-08-13T10:00:00Z"}',
    ])
      expect(JSON.parse(line).ts).toBe("2026-08-13T10:00:00Z");
  });
});
