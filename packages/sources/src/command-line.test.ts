import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  isInsideDir,
  parseDuration,
  readTokenFile,
  resolveCatalystDir,
  resolvesInsideDir,
} from "./command-line.js";

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

describe("where the bins' own files may go, and token files", () => {
  it("resolvesInsideDir follows a symlinked dir and a symlinked file; isInsideDir goes by name", async () => {
    const root = await mkdtemp(join(tmpdir(), "cmdline-"));
    try {
      const dir = join(root, "catalyst");
      await mkdir(dir);
      await symlink(dir, join(root, "alias"));
      await symlink(join(dir, "x.pid"), join(root, "link.pid"));
      expect(isInsideDir(dir, join(dir, "a", "b"))).toBe(true);
      expect(isInsideDir(dir, join(root, "alias", "a"))).toBe(false);
      expect((await resolvesInsideDir(join(root, "alias", "m.pid"), dir)).inside).toBe(true);
      expect((await resolvesInsideDir(join(root, "link.pid"), dir)).inside).toBe(true);
      expect((await resolvesInsideDir(join(root, "m.pid"), dir)).inside).toBe(false);
      // `link/..` is where the link points, then up: inside when the link points below the dir.
      await mkdir(join(dir, "runs"));
      await symlink(join(dir, "runs"), join(root, "runs-link"));
      expect((await resolvesInsideDir(`${join(root, "runs-link")}/../c.pid`, dir)).inside).toBe(true);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("readTokenFile takes the first line of a small regular file and explains the rest", async () => {
    const root = await mkdtemp(join(tmpdir(), "cmdline-"));
    try {
      await writeFile(join(root, "t"), "s3cret\nignored\n");
      await writeFile(join(root, "empty"), "\n");
      await writeFile(join(root, "big"), "x".repeat(5000));
      expect(await readTokenFile(join(root, "t"))).toEqual({ ok: true, token: "s3cret" });
      expect(await readTokenFile(join(root, "empty"))).toEqual({
        ok: false,
        problem: "holds no token on its first line",
      });
      expect(await readTokenFile(join(root, "big"))).toEqual({
        ok: false,
        problem: "is not a small regular file",
      });
      expect(await readTokenFile(root)).toEqual({ ok: false, problem: "is not a small regular file" });
      const missing = await readTokenFile(join(root, "nope"));
      expect(missing.ok ? "" : missing.problem).toMatch(/cannot be read \(ENOENT\)/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
