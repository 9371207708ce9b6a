import { describe, expect, it } from "vitest";
import { scanTs } from "./scan-ts.js";

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
});
