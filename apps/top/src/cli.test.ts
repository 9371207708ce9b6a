import { describe, expect, it } from "vitest";
import { DEFAULT_URL, parseTopArgs } from "./cli.js";

describe("parseTopArgs", () => {
  it("defaults to the local monitor, with the token from the environment", () => {
    const o = parseTopArgs([], { CATALYST_MONITOR_TOKEN: "s3cret" });
    expect(o).toMatchObject({ mode: "url", url: DEFAULT_URL, token: "s3cret", once: false, format: "table" });
  });
  it("reads the modes and flags", () => {
    expect(parseTopArgs(["--dir", "/x"], {})).toMatchObject({ mode: "dir", dir: "/x" });
    expect(parseTopArgs(["--demo", "--once", "--format", "json"], {})).toMatchObject({
      mode: "demo",
      once: true,
      format: "json",
    });
    expect(
      parseTopArgs(["--url=http://h:1", "--token", "t"], { CATALYST_MONITOR_TOKEN: "env" }),
    ).toMatchObject({
      url: "http://h:1",
      token: "t",
    });
  });
  it("resolves --dir like the other bins: ~ expanded, relative to the working dir", () => {
    expect(parseTopArgs(["--dir", "~/cat"], {}, "/home/op", "/work")).toMatchObject({ dir: "/home/op/cat" });
    expect(parseTopArgs(["--dir=~"], {}, "/home/op", "/work")).toMatchObject({ dir: "/home/op" });
    expect(parseTopArgs(["--dir", "cat"], { CATALYST_DIR: "/x" }, "/home/op", "/work")).toMatchObject({
      mode: "dir",
      dir: "/work/cat",
    });
    // Without --dir it follows the monitor, wherever CATALYST_DIR points.
    expect(parseTopArgs([], { CATALYST_DIR: "/x" }, "/home/op", "/work")).toMatchObject({
      mode: "url",
      dir: null,
    });
  });
  it("refuses mistakes with a clear message", () => {
    expect(() => parseTopArgs(["--bogus"], {})).toThrow(/unknown option --bogus/);
    expect(() => parseTopArgs(["--dir"], {})).toThrow(/--dir needs a value/);
    expect(() => parseTopArgs(["--dir", "/x", "--demo"], {})).toThrow(/together/);
    expect(() => parseTopArgs(["--url", "ftp://x"], {})).toThrow(/not an http/);
    expect(() => parseTopArgs(["--format", "xml"], {})).toThrow(/table or json/);
  });
});
