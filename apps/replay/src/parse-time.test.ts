import { describe, expect, it } from "vitest";
import { UsageError } from "./errors.js";
import { parseTimeArg } from "./parse-time.js";

const now = new Date("2026-04-14T20:00:00.000Z");
const parse = (value: string): string => parseTimeArg("--since", value, now).toISOString();

describe("parseTimeArg", () => {
  it("reads ISO 8601 with and without milliseconds, seconds and zone (UTC assumed)", () => {
    expect(parse("2026-04-14T19:03:01Z")).toBe("2026-04-14T19:03:01.000Z");
    expect(parse("2026-04-14T19:03:01.482Z")).toBe("2026-04-14T19:03:01.482Z");
    expect(parse("2026-04-14T19:03:01")).toBe("2026-04-14T19:03:01.000Z");
    expect(parse("2026-04-14T19:03")).toBe("2026-04-14T19:03:00.000Z");
    expect(parse("2026-04-14 19:03:01")).toBe("2026-04-14T19:03:01.000Z");
    expect(parse("2026-04-14T19:03:01.123456789Z")).toBe("2026-04-14T19:03:01.123Z");
  });

  it("applies explicit offsets", () => {
    expect(parse("2026-04-14T21:03:01+02:00")).toBe("2026-04-14T19:03:01.000Z");
    expect(parse("2026-04-14T14:03:01-0500")).toBe("2026-04-14T19:03:01.000Z");
  });

  it("reads a date as its UTC midnight", () => {
    expect(parse("2026-04-14")).toBe("2026-04-14T00:00:00.000Z");
    expect(parse("2024-02-29")).toBe("2024-02-29T00:00:00.000Z");
  });

  it("reads relative ages back from now", () => {
    expect(parse("90s")).toBe("2026-04-14T19:58:30.000Z");
    expect(parse("15m")).toBe("2026-04-14T19:45:00.000Z");
    expect(parse("2h")).toBe("2026-04-14T18:00:00.000Z");
    expect(parse("3d")).toBe("2026-04-11T20:00:00.000Z");
    expect(parse("1w")).toBe("2026-04-07T20:00:00.000Z");
  });

  it.each([
    "yesterday",
    "",
    "15",
    "-2h",
    "2026-13-01",
    "2026-02-30",
    "2026-04-14T24:00:00Z",
    "2026-04-14T19:60Z",
    "2026/04/14",
    "1.5h",
    "99999999999999d",
  ])("rejects %j with a one-line error naming flag, value and an example", (value) => {
    let error: unknown;
    try {
      parseTimeArg("--until", value, now);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UsageError);
    const usage = error as UsageError;
    expect(usage.flag).toBe("--until");
    expect(usage.value).toBe(value);
    expect(usage.message).toContain("--until");
    expect(usage.message).toContain(JSON.stringify(value));
    expect(usage.message).toContain("2026-04-14T19:00:00Z");
    expect(usage.message).not.toContain("\n");
  });
});
