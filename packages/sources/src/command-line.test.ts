import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  createCleanupStack,
  EXIT_FAILURE,
  EXIT_USAGE,
  isInsideDir,
  parseDuration,
  parsePort,
  parsePositiveDecimal,
  readFlags,
  readPackageVersion,
  readTokenFile,
  readTokenFlag,
  reportCliError,
  resolveCatalystDir,
  resolvesInsideDir,
  UsageError,
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

  it("isInsideDir: a name that only starts with `..` is inside; `..` and `../x` are outside", async () => {
    const dir = "/srv/catalyst";
    expect(isInsideDir(dir, "/srv/catalyst/..monitor.pid")).toBe(true);
    expect(isInsideDir(dir, "/srv/catalyst/...")).toBe(true);
    expect(isInsideDir(dir, "/srv/catalyst/..a/b")).toBe(true);
    expect(isInsideDir(dir, "/srv/catalyst")).toBe(true);
    expect(isInsideDir(dir, "/srv")).toBe(false);
    expect(isInsideDir(dir, "/srv/x.pid")).toBe(false);
    expect(isInsideDir(dir, "/srv/catalyst-other/x")).toBe(false);
    expect(isInsideDir(dir, "/srv/..catalyst")).toBe(false);
    const root = await mkdtemp(join(tmpdir(), "cmdline-"));
    try {
      const real = join(root, "catalyst");
      await mkdir(real);
      const resolved = await resolvesInsideDir(join(real, "..monitor.pid"), real);
      expect(resolved).toEqual({ inside: true, target: join(real, "..monitor.pid"), realDir: real });
      expect((await resolvesInsideDir(join(real, "..", "monitor.pid"), real)).inside).toBe(false);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("readTokenFlag throws a UsageError naming the flag and the file, never its text", async () => {
    const root = await mkdtemp(join(tmpdir(), "cmdline-"));
    try {
      await writeFile(join(root, "t"), "s3cret\n");
      await writeFile(join(root, "big"), "s3cret".repeat(1000));
      expect(await readTokenFlag(join(root, "t"))).toBe("s3cret");
      const error = await readTokenFlag(join(root, "big"), "--nats-token-file").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).message).toBe(
        `--nats-token-file ${join(root, "big")} is not a small regular file`,
      );
      expect((error as UsageError).flag).toBe("--nats-token-file");
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe("how the bins report errors and their version", () => {
  it("reportCliError prints `<bin>: <message>` and returns 2 for a usage error, 1 otherwise", () => {
    const lines: string[] = [];
    expect(
      reportCliError("catalyst-top", new UsageError("--url x is not an http(s) URL"), (t) => lines.push(t)),
    ).toBe(EXIT_USAGE);
    expect(reportCliError("catalyst-top", new Error("cannot reach"), (t) => lines.push(t))).toBe(
      EXIT_FAILURE,
    );
    expect(reportCliError("catalyst-top", "odd", (t) => lines.push(t))).toBe(EXIT_FAILURE);
    expect(lines).toEqual([
      "catalyst-top: --url x is not an http(s) URL\n",
      "catalyst-top: cannot reach\n",
      "catalyst-top: odd\n",
    ]);
  });

  it("readPackageVersion reads `version`, and says 0.0.0 when it cannot", async () => {
    const root = await mkdtemp(join(tmpdir(), "cmdline-"));
    try {
      await writeFile(join(root, "package.json"), JSON.stringify({ name: "x", version: "1.2.3" }));
      await writeFile(join(root, "bad.json"), "{");
      expect(readPackageVersion(new URL(`file://${join(root, "package.json")}`))).toBe("1.2.3");
      expect(readPackageVersion(new URL(`file://${join(root, "bad.json")}`))).toBe("0.0.0");
      expect(readPackageVersion(new URL(`file://${join(root, "absent.json")}`))).toBe("0.0.0");
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe("readFlags", () => {
  const options = {
    dir: { type: "string" },
    follow: { type: "boolean", short: "f" },
    "version-v": { type: "boolean", short: "v" },
  } as const;

  it("collects values in order and switches, by long name, with aliases", () => {
    const { values, switches } = readFlags(["--dir", "/a", "--dir=/b", "-f", "-v"], options, {
      aliases: { "version-v": "version" },
    });
    expect(values.get("--dir")).toEqual(["/a", "/b"]);
    expect([...switches]).toEqual(["--follow", "--version"]);
  });

  it("words every mistake as one line", () => {
    const cases: Array<[string[], string]> = [
      [["--bogus"], "unknown option --bogus (see --help)"],
      [["extra"], 'unexpected argument "extra" (see --help)'],
      [["--dir"], "--dir needs a value, e.g. --dir ~/catalyst"],
      [["--dir", "--follow"], "--dir needs a value, e.g. --dir ~/catalyst"],
      [["--follow=yes"], '--follow takes no value, got "--follow=yes"'],
    ];
    for (const [argv, message] of cases) {
      let error: unknown = null;
      try {
        readFlags(argv, options, { examples: { "--dir": "--dir ~/catalyst" } });
      } catch (thrown) {
        error = thrown;
      }
      expect(error, argv.join(" ")).toBeInstanceOf(UsageError);
      expect((error as UsageError).message, argv.join(" ")).toBe(message);
    }
    expect(readFlags(["--dir=--follow"], options).values.get("--dir")).toEqual(["--follow"]);
  });
});

describe("createCleanupStack", () => {
  it("runs the steps newest first, each once, past a failing one", async () => {
    const ran: string[] = [];
    const stack = createCleanupStack();
    stack.defer(() => ran.push("demo"));
    stack.defer(async () => {
      ran.push("server");
      throw new Error("already closed");
    });
    stack.defer(() => ran.push("pid file"));
    await stack.run();
    await stack.run();
    expect(ran).toEqual(["pid file", "server", "demo"]);
  });
});

describe("parsePort and parsePositiveDecimal", () => {
  it("reads a port of up to five digits, 0 to 65535", () => {
    expect(parsePort(" 7400 ")).toBe(7400);
    expect(parsePort("0")).toBe(0);
    for (const bad of ["65536", "-1", "80a", "", "123456", "1e3"]) expect(parsePort(bad), bad).toBeNull();
  });
  it("reads a plain decimal above 0 and at most the maximum", () => {
    expect(parsePositiveDecimal("2.5", 1024)).toBe(2.5);
    expect(parsePositiveDecimal(" 1024 ", 1024)).toBe(1024);
    for (const bad of ["0", "0.0", "1025", "-1", "1e3", ".5", "abc", ""])
      expect(parsePositiveDecimal(bad, 1024), bad).toBeNull();
  });
});
