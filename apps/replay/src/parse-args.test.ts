import { describe, expect, it } from "vitest";
import { UsageError } from "./errors.js";
import { parseReplayArgs, type ReplayOptions } from "./parse-args.js";

const context = { now: new Date("2026-04-14T20:00:00Z"), env: {}, home: "/home/op", cwd: "/work" };

function options(...argv: string[]): ReplayOptions {
  const command = parseReplayArgs(argv, context);
  if (command.kind !== "replay") throw new Error(`expected replay, got ${command.kind}`);
  return command.options;
}

function usageError(...argv: string[]): UsageError {
  try {
    parseReplayArgs(argv, context);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error("expected a UsageError");
}

describe("parseReplayArgs", () => {
  it("parses the full history form with defaults", () => {
    expect(options("--since", "2h")).toEqual({
      dir: "/home/op/catalyst",
      since: new Date("2026-04-14T18:00:00Z"),
      follow: false,
      format: "pretty",
      snapshot: false,
      strict: false,
      cacheDir: "/home/op/.cache/catalyst",
    });
  });

  it("keeps the log index in CATALYST_CACHE_DIR, else XDG_CACHE_HOME/catalyst, else ~/.cache/catalyst", () => {
    const at = (env: Record<string, string>): string | undefined => {
      const command = parseReplayArgs(["--since", "2h"], { ...context, env });
      return command.kind === "replay" ? command.options.cacheDir : undefined;
    };
    expect(at({ CATALYST_CACHE_DIR: "/tmp/c" })).toBe("/tmp/c");
    expect(at({ XDG_CACHE_HOME: "/tmp/x" })).toBe("/tmp/x/catalyst");
    expect(at({})).toBe("/home/op/.cache/catalyst");
  });

  it("accepts --flag=value, lists and every filter", () => {
    const parsed = options(
      "--since=2026-04-14",
      "--until",
      "2026-04-14T19:00",
      "--orchestrator",
      "orch-a,orch-b",
      "--worker=CTL-48",
      "--type",
      "worker-done",
      "--type",
      "worker-failed,archive",
      "--format",
      "jsonl",
      "--dir",
      "cat",
      "--strict",
    );
    expect(parsed).toMatchObject({
      dir: "/work/cat",
      since: new Date("2026-04-14T00:00:00Z"),
      until: new Date("2026-04-14T19:00:00Z"),
      orchestrators: ["orch-a", "orch-b"],
      workers: ["CTL-48"],
      types: ["worker-done", "worker-failed", "archive"],
      format: "jsonl",
      strict: true,
    });
  });

  it("takes the dir from CATALYST_DIR, and expands ~ in --dir", () => {
    expect(
      parseReplayArgs(["--since", "1h"], { ...context, env: { CATALYST_DIR: "/srv/cat" } }),
    ).toMatchObject({
      options: { dir: "/srv/cat" },
    });
    expect(options("--since", "1h", "--dir", "~/x").dir).toBe("/home/op/x");
  });

  it("shares the monitor's catalyst dir, duration grammar and version flags", () => {
    // An empty CATALYST_DIR is unset (it used to mean the current dir here, ~/catalyst in the monitor).
    expect(options("--since", "1h").dir).toBe("/home/op/catalyst");
    expect(parseReplayArgs(["--since", "1h"], { ...context, env: { CATALYST_DIR: "" } })).toMatchObject({
      options: { dir: "/home/op/catalyst" },
    });
    for (const [text, ms] of [
      ["90s", 90_000],
      ["15m", 900_000],
      ["2h", 7_200_000],
      ["7d", 604_800_000],
    ] as const)
      expect(options("--since", text).since, text).toEqual(new Date(context.now.getTime() - ms));
    expect(parseReplayArgs(["-v"], context)).toEqual({ kind: "version" });
  });

  it("recognises help and version, which win over everything else", () => {
    expect(parseReplayArgs(["--help"], context)).toEqual({ kind: "help" });
    expect(parseReplayArgs(["-h", "--since", "bogus"], context)).toEqual({ kind: "help" });
    expect(parseReplayArgs(["--version"], context)).toEqual({ kind: "version" });
    expect(parseReplayArgs(["-V"], context)).toEqual({ kind: "version" });
  });

  it("allows --follow without --since (live only), and --at with --snapshot", () => {
    expect(options("--follow")).toMatchObject({ follow: true });
    expect(options("-f", "--since", "15m", "--format", "jsonl")).toMatchObject({
      follow: true,
      format: "jsonl",
    });
    expect(options("--at", "2026-04-14T19:30:00Z", "--snapshot", "--format", "json")).toMatchObject({
      at: new Date("2026-04-14T19:30:00Z"),
      snapshot: true,
    });
  });

  it.each([
    [["--since", "yesterday"], "--since", /invalid --since value "yesterday".*2026-04-14T19:00:00Z/],
    [["--since"], "--since", /--since needs a value, e\.g\. --since 2h/],
    [["--since", "--follow"], "--since", /--since needs a value/],
    [["--since", "1h", "--format", "xml"], "--format", /invalid --format value "xml".*pretty, jsonl, json/],
    [["--since", "1h", "--bogus"], "--bogus", /unknown option --bogus/],
    [["--since", "1h", "extra"], undefined, /unexpected argument "extra"/],
    [[], "--since", /--since is required/],
    [["--since", "1h", "--since", "2h"], "--since", /given 2 times/],
    [["--since", "1h", "--until", "2h"], "--until", /must be later than --since/],
    [["--follow", "--until", "1h"], "--until", /cannot be used with --follow/],
    [["--follow", "--format", "json"], "--format", /use --format jsonl/],
    [["--snapshot"], "--snapshot", /--snapshot needs --at/],
    [["--at", "1h"], "--at", /--at needs --snapshot/],
    [["--at", "1h", "--snapshot", "--since", "2h"], "--since", /cannot be used with --snapshot/],
    [["--at", "1h", "--snapshot", "--follow"], "--follow", /--follow cannot be used with --snapshot/],
    [["--since", "1h", "--type", "a,,b"], "--type", /empty name/],
    [["--follow=yes"], "--follow", /takes no value/],
  ])("rejects %j naming %s", (argv, flag, pattern) => {
    const error = usageError(...argv);
    expect(error.flag).toBe(flag);
    expect(error.message).toMatch(pattern);
    expect(error.message).not.toContain("\n");
  });

  it("reads --wait-for and --timeout, only with --follow", () => {
    expect(options("--follow", "--wait-for", "--worker", "CTL-1", "--timeout", "10m")).toMatchObject({
      follow: true,
      waitFor: true,
      timeoutMs: 600_000,
      workers: ["CTL-1"],
    });
    expect(usageError("--since", "1h", "--wait-for").message).toMatch(/--wait-for needs --follow/);
    expect(usageError("--follow", "--timeout", "5s").message).toMatch(/--timeout needs --wait-for/);
    expect(usageError("--follow", "--wait-for", "--timeout", "soon").message).toMatch(
      /invalid --timeout value "soon"/,
    );
  });
});
