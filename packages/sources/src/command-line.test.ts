import { describe, expect, it } from "vitest";
import { parseDuration, resolveCatalystDir } from "./command-line.js";

describe("resolveCatalystDir", () => {
  const home = "/home/op";

  it("prefers --dir, then a non-empty CATALYST_DIR, then ~/catalyst", () => {
    expect(resolveCatalystDir("/srv/a", { CATALYST_DIR: "/srv/b" }, home, "/work")).toBe("/srv/a");
    expect(resolveCatalystDir(undefined, { CATALYST_DIR: "/srv/b" }, home, "/work")).toBe("/srv/b");
    expect(resolveCatalystDir(undefined, {}, home, "/work")).toBe("/home/op/catalyst");
  });

  it('treats CATALYST_DIR="" as unset (not the current dir)', () => {
    expect(resolveCatalystDir(undefined, { CATALYST_DIR: "" }, home, "/work")).toBe("/home/op/catalyst");
  });

  it("expands ~ and resolves relative paths from cwd", () => {
    expect(resolveCatalystDir("~/x", {}, home, "/work")).toBe("/home/op/x");
    expect(resolveCatalystDir("~", {}, home, "/work")).toBe("/home/op");
    expect(resolveCatalystDir("cat", {}, home, "/work")).toBe("/work/cat");
    expect(resolveCatalystDir(undefined, { CATALYST_DIR: "rel" }, home, "/work")).toBe("/work/rel");
  });
});

describe("parseDuration", () => {
  it("reads seconds, minutes, hours, days and weeks", () => {
    expect(parseDuration("90s")).toBe(90_000);
    expect(parseDuration("15m")).toBe(900_000);
    expect(parseDuration(" 2h ")).toBe(7_200_000);
    expect(parseDuration("7d")).toBe(604_800_000);
    expect(parseDuration("1w")).toBe(604_800_000);
  });

  it("rejects anything else, and spans longer than dates reach", () => {
    for (const text of ["", "0", "2", "h", "1.5h", "-2h", "2H", "2 h", "2hours", "9999999999999999w"])
      expect(parseDuration(text), text).toBeNull();
  });
});
