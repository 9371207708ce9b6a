import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.js";
import { parseCliArgs } from "./parse-args.js";

const HOME = "/home/someone";

describe("parseCliArgs", () => {
  it("defaults to 127.0.0.1:7400 and ~/catalyst", () => {
    const o = parseCliArgs([], {}, HOME);
    expect(o).toMatchObject({
      dir: "/home/someone/catalyst",
      port: 7400,
      host: "127.0.0.1",
      token: null,
      demo: false,
      pidFile: null,
      logFormat: "text",
      warnings: [],
    });
  });

  it("reads the jobs dir from --jobs-dir, else CATALYST_REVIVE_JOBS_DIR, else ~/.claude/jobs; the demo uses its own", () => {
    expect(parseCliArgs([], {}, HOME).jobsDir).toBe("/home/someone/.claude/jobs");
    expect(parseCliArgs([], { CATALYST_REVIVE_JOBS_DIR: "/j" }, HOME).jobsDir).toBe("/j");
    expect(parseCliArgs(["--jobs-dir", "/k"], { CATALYST_REVIVE_JOBS_DIR: "/j" }, HOME).jobsDir).toBe("/k");
    expect(parseCliArgs(["--demo"], { CATALYST_REVIVE_JOBS_DIR: "/j" }, HOME).jobsDir).toBeNull();
    expect(() => parseCliArgs(["--jobs-dir", " "], {}, HOME)).toThrow(UsageError);
  });

  it("reads --budget-usd as dollars above 0, and refuses anything else", () => {
    expect(parseCliArgs([], {}, HOME).budgetUsd).toBeNull();
    expect(parseCliArgs(["--budget-usd", "250"], {}, HOME).budgetUsd).toBe(250);
    expect(parseCliArgs(["--budget-usd", "12.5"], {}, HOME).budgetUsd).toBe(12.5);
    for (const bad of ["0", "-5", "ten", "1e3", ""])
      expect(() => parseCliArgs([`--budget-usd=${bad}`], {}, HOME)).toThrow(
        /--budget-usd must be a number of US dollars/,
      );
  });

  it("reads CATALYST_DIR and MONITOR_PORT, and flags win over them", () => {
    expect(parseCliArgs([], { CATALYST_DIR: "/x/cat", MONITOR_PORT: "7500" }, HOME)).toMatchObject({
      dir: "/x/cat",
      port: 7500,
    });
    expect(
      parseCliArgs(["--dir", "/y", "--port", "0"], { CATALYST_DIR: "/x/cat", MONITOR_PORT: "7500" }, HOME),
    ).toMatchObject({ dir: "/y", port: 0 });
  });

  it("falls back to 7400 on a bad MONITOR_PORT with a warning (FORMATS §1.6)", () => {
    for (const bad of ["abc", "0", "-3", "70000"]) {
      const o = parseCliArgs([], { MONITOR_PORT: bad }, HOME);
      expect(o.port, bad).toBe(7400);
      expect(o.warnings).toHaveLength(1);
    }
  });

  it("rejects bad flags with a one-line UsageError", () => {
    for (const argv of [
      ["--bogus"],
      ["--port", "http"],
      ["--port", "65536"],
      ["--log-format", "xml"],
      ["extra"],
      ["--token", ""],
      ["--demo", "--dir", "/x"],
    ]) {
      expect(() => parseCliArgs(argv, {}, HOME), argv.join(" ")).toThrow(UsageError);
      try {
        parseCliArgs(argv, {}, HOME);
      } catch (error) {
        expect((error as Error).message).not.toContain("\n");
      }
    }
  });

  it("refuses a non-loopback host without a token and accepts loopback names", () => {
    expect(() => parseCliArgs(["--host", "0.0.0.0"], {}, HOME)).toThrow(/refusing to start without a token/);
    expect(() => parseCliArgs(["--host", "192.168.1.5"], {}, HOME)).toThrow(UsageError);
    expect(parseCliArgs(["--host", "10.0.0.2", "--token", "t"], {}, HOME).host).toBe("10.0.0.2");
    for (const host of ["localhost", "127.0.0.2", "::1", "[::1]"])
      expect(parseCliArgs(["--host", host], {}, HOME).host).toBe(host);
  });

  it("reads --history as 0 or a duration, a week by default", () => {
    expect(parseCliArgs([], {}, HOME).historyMs).toBe(7 * 86_400_000);
    expect(parseCliArgs(["--history", "12h"], {}, HOME).historyMs).toBe(12 * 3_600_000);
    expect(parseCliArgs(["--history", "0"], {}, HOME).historyMs).toBe(0);
    for (const bad of ["yesterday", "-1d", "12"]) {
      expect(() => parseCliArgs(["--history", bad], {}, HOME)).toThrow(UsageError);
    }
  });

  it("shares catalyst-replay's duration grammar, catalyst dir and version flags", () => {
    for (const [text, ms] of [
      ["90s", 90_000],
      ["15m", 900_000],
      ["2h", 7_200_000],
      ["7d", 604_800_000],
    ] as const)
      expect(parseCliArgs(["--history", text], {}, HOME).historyMs, text).toBe(ms);
    // An empty CATALYST_DIR is unset: ~/catalyst, as for catalyst-replay.
    expect(parseCliArgs([], { CATALYST_DIR: "" }, HOME).dir).toBe(`${HOME}/catalyst`);
    expect(parseCliArgs(["--dir", "~/fleet"], {}, HOME).dir).toBe(`${HOME}/fleet`);
    for (const flag of ["-V", "--version", "-v"])
      expect(parseCliArgs([flag], {}, HOME).version, flag).toBe(true);
  });

  it("refuses a pid file inside the catalyst dir", () => {
    expect(() => parseCliArgs(["--dir", "/c", "--pid-file", "/c/monitor.pid"], {}, HOME)).toThrow(
      /never writes/,
    );
    expect(parseCliArgs(["--dir", "/c", "--pid-file", "run/m.pid"], {}, HOME).pidFile).toBe(
      resolve("run/m.pid"),
    );
  });

  it("refuses a pid file whose name only starts with `..`: it is inside the catalyst dir", () => {
    expect(() => parseCliArgs(["--dir", "/c", "--pid-file", "/c/..monitor.pid"], {}, HOME)).toThrow(
      /--pid-file \/c\/\.\.monitor\.pid is inside the catalyst dir/,
    );
    // `..` as a path step does leave it.
    expect(parseCliArgs(["--dir", "/c/d", "--pid-file", "/c/d/../m.pid"], {}, HOME).pidFile).toBe(
      "/c/d/../m.pid",
    );
  });
});

describe("parseCliArgs: remote-use flags (issue 17)", () => {
  it("takes the token from CATALYST_MONITOR_TOKEN, or a --token-file path, and --allow-host repeated", () => {
    const env = parseCliArgs(["--host", "0.0.0.0"], { CATALYST_MONITOR_TOKEN: "t0k" }, HOME);
    expect({ token: env.token, tokenSource: env.tokenSource }).toEqual({ token: "t0k", tokenSource: "env" });
    const file = parseCliArgs(
      ["--token-file", "/etc/t", "--allow-host", "A.example", "--allow-host", "b"],
      {},
      HOME,
    );
    expect({ tokenFile: file.tokenFile, token: file.token, allowHosts: file.allowHosts }).toEqual({
      tokenFile: "/etc/t",
      token: null,
      allowHosts: ["a.example", "b"],
    });
    expect(() => parseCliArgs(["--token", "a", "--token-file", "/t"], {}, HOME)).toThrow(
      /either --token or --token-file/,
    );
    expect(() => parseCliArgs(["--allow-host", "a.example:80"], {}, HOME)).toThrow(/without a port/);
  });

  it("--max-file-mb sets the size cap (default 4 MiB)", () => {
    expect(parseCliArgs([], {}, HOME).maxFileBytes).toBe(4 * 1024 * 1024);
    expect(parseCliArgs(["--max-file-mb", "0.5"], {}, HOME).maxFileBytes).toBe(512 * 1024);
    expect(() => parseCliArgs(["--max-file-mb", "0"], {}, HOME)).toThrow(/--max-file-mb/);
  });

  it("keeps `..` in --pid-file for the realpath check, and still refuses one inside by name", () => {
    expect(parseCliArgs(["--pid-file", "/tmp/link/../m.pid"], {}, HOME).pidFile).toBe("/tmp/link/../m.pid");
    expect(() => parseCliArgs(["--dir", "/c", "--pid-file", "/c/x/../m.pid"], {}, HOME)).toThrow(
      /inside the catalyst dir/,
    );
  });
});
