import { describe, expect, it } from "vitest";
import { parsePrUrl, parsePrValue, prKey } from "./index.js";

describe("parsePrUrl", () => {
  it.each([
    ["https://github.com/acme/api/pull/123", { repo: "acme/api", number: 123 }],
    ["http://github.com/acme/api/pull/7", { repo: "acme/api", number: 7 }],
    [
      "https://github.com/coalesce-labs/catalyst/pull/48/files",
      { repo: "coalesce-labs/catalyst", number: 48 },
    ],
    ["https://github.com/a/b.c_d-e/pull/9#issuecomment-1", { repo: "a/b.c_d-e", number: 9 }],
    ["  https://github.com/acme/api/pull/5?w=1 ", { repo: "acme/api", number: 5 }],
  ])("%s", (url, ref) => {
    expect(parsePrUrl(url)).toEqual(ref);
  });

  it.each([
    "https://gitlab.com/acme/api/pull/1",
    "https://github.example.com/acme/api/pull/1",
    "https://github.com/acme/api/issues/1",
    "https://github.com/acme/api/pull/0",
    "https://github.com/acme/api/pull/abc",
    "https://github.com/acme/../pull/1",
    "https://github.com/-acme/api/pull/1",
    "github.com/acme/api/pull/1",
    "",
  ])("rejects %s", (url) => {
    expect(parsePrUrl(url)).toBeNull();
  });

  it("never throws on non-strings", () => {
    expect(parsePrUrl(42 as unknown as string)).toBeNull();
  });
});

describe("parsePrValue", () => {
  it("takes the repo and number from a signal file's pr object (FORMATS §2.4)", () => {
    expect(
      parsePrValue({ number: 123, url: "https://github.com/acme/api/pull/123", ciStatus: "pending" }),
    ).toEqual({
      repo: "acme/api",
      number: 123,
    });
  });
  it("is null for a bare number, a missing url, or other hosts", () => {
    expect(parsePrValue(123)).toBeNull();
    expect(parsePrValue({ number: 5 })).toBeNull();
    expect(parsePrValue({ number: 5, url: "https://example.com/pr/5" })).toBeNull();
    expect(parsePrValue(null)).toBeNull();
  });
  it("keys refs as owner/name#n", () => {
    expect(prKey({ repo: "acme/api", number: 3 })).toBe("acme/api#3");
  });
});
