import { spawn } from "node:child_process";
import { appendFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  makeTempDir,
  orderedFixture,
  removeDir,
  sessionLine,
  v1Line,
  writeTree,
} from "./log-fixture.test-helper.js";
import { collect, NODE_ARGS, runBin, runShell } from "./run-bin.test-helper.js";

// End to end: the real bin as a child process on real generated catalyst dirs.

const SEED_T = "2026-03-12T10:00:00Z";

/** The seed's replay recipe (SEED, "replay from the log"), run as a real awk process. */
async function seedAwk(ts: string, files: string[]): Promise<Buffer> {
  const child = spawn("awk", ["-F", '"ts":', `$2 > "\\"${ts}\\"" {print}`, ...files], {
    env: { ...process.env, LC_ALL: "C" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const result = await collect(child);
  expect(result.code).toBe(0);
  return result.stdout;
}

let root: string;
let ordered: string;
let fixture: ReturnType<typeof orderedFixture>;

beforeAll(async () => {
  root = await makeTempDir();
  ordered = join(root, "ordered");
  fixture = orderedFixture();
  await writeTree(ordered, fixture.tree);
});

afterAll(async () => {
  await removeDir(root);
});

const orderedFiles = (): string[] =>
  ["events.jsonl", "events/2026-03.jsonl", "events/2026-04.jsonl"].map((f) => join(ordered, f));

describe("catalyst-replay --since T --format jsonl against the seed's awk recipe", () => {
  // "2026-04-01T00:00:11Z" is a line's own ts: awk's `>` still selects that line (the text after
  // `"ts":` is longer than the quoted T), just as replay's inclusive --since does.
  it.each([
    SEED_T,
    "2026-04-01T00:00:11Z",
    "2026-02-27T12:00:00Z",
    "2026-04-20T00:00:00Z",
    "2026-01-01T00:00:00Z",
    "2026-05-01T00:00:00Z",
  ])("prints the same bytes as awk on the ordered fixture (T = %s)", async (ts) => {
    const [ours, theirs] = await Promise.all([
      runBin(["--since", ts, "--format", "jsonl", "--dir", ordered]),
      seedAwk(ts, orderedFiles()),
    ]);
    expect(ours.stderr).toBe("");
    expect(ours.code).toBe(0);
    expect(ours.stdout.equals(theirs)).toBe(true);
  });

  it("selects a non-trivial part of the fixture, legacy and monthly files alike", async () => {
    const ours = await runBin(["--since", "2026-02-27T12:00:00Z", "--format", "jsonl", "--dir", ordered]);
    const lines = ours.stdout.toString("utf8").trimEnd().split("\n");
    expect(lines.length).toBeGreaterThan(300);
    expect(lines.length).toBeLessThan(fixture.lines.length);
    expect(lines[0]).toContain('"orch-old"');
    expect(lines.at(-1)).toBe(fixture.lines.at(-1));
  });

  it("differs from awk only where the recipe is wrong: order, and sub-second stamps; lying clocks included", async () => {
    const dir = join(root, "backfilled");
    const T = "2026-04-10T12:00:00Z";
    const legacy = [
      v1Line("2026-03-31T23:00:00Z", "worker-dispatched", "CTL-1"),
      // A legacy writer still appending after the monthly files took over: awk prints it first.
      v1Line("2026-04-10T12:30:00Z", "worker-done", "CTL-1"),
    ];
    const april = [
      v1Line("2026-04-10T11:58:00Z", "worker-status-change", "CTL-2"),
      v1Line("2026-04-10T12:01:00Z", "worker-status-change", "CTL-3"),
      v1Line("2026-04-10T12:02:00Z", "worker-status-change", "CTL-4"),
      // Backfilled: written after 12:02 but stamped a minute earlier.
      v1Line("2026-04-10T12:01:30Z", "worker-pr-created", "CTL-5", { pr: 5 }),
      // Millisecond stamp in the same second as T: awk compares "…00.250Z" < "…00Z" and drops it.
      '{"ts":"2026-04-10T12:00:00.250Z","orchestrator":"orch-api-redesign-2026-04-14","worker":"CTL-6","event":"worker-failed","detail":{"reason":"late writer"}}',
      v1Line("2026-04-10T12:03:00Z", "worker-status-change", "CTL-7"),
      // A writer whose clock is 12 h ahead, a line stamped 2099 and one stamped 1970 by bugs, and a
      // line backfilled days later into the window.
      v1Line("2026-04-11T00:05:00Z", "worker-status-change", "CTL-8"),
      v1Line("2099-01-01T00:00:00Z", "worker-status-change", "CTL-9"),
      v1Line("1970-01-01T00:00:00Z", "worker-status-change", "CTL-11"),
      v1Line("2026-04-10T12:00:05Z", "worker-status-change", "CTL-10"),
    ];
    await writeTree(dir, {
      "events.jsonl": legacy.map((l) => `${l}\n`).join(""),
      "events/2026-04.jsonl": april.map((l) => `${l}\n`).join(""),
    });
    const [ours, theirs] = await Promise.all([
      runBin(["--since", T, "--format", "jsonl", "--dir", dir]),
      seedAwk(T, [join(dir, "events.jsonl"), join(dir, "events/2026-04.jsonl")]),
    ]);
    expect(ours.code).toBe(0);
    const oursLines = ours.stdout.toString("utf8").trimEnd().split("\n");
    const awkLines = theirs.toString("utf8").trimEnd().split("\n");
    const worker = (line: string): string => (JSON.parse(line) as { worker: string }).worker;
    // awk: file order (legacy first, backfilled line where it was appended) and no CTL-6.
    expect(awkLines.map(worker)).toEqual([
      "CTL-1",
      "CTL-3",
      "CTL-4",
      "CTL-5",
      "CTL-7",
      "CTL-8",
      "CTL-9",
      "CTL-10",
    ]);
    // replay: time order across files, CTL-6 included (it is 250 ms after T).
    expect(oursLines.map(worker)).toEqual([
      "CTL-6",
      "CTL-10",
      "CTL-3",
      "CTL-5",
      "CTL-4",
      "CTL-7",
      "CTL-1",
      "CTL-8",
      "CTL-9",
    ]);
    // Apart from those two faults, the same lines with the same bytes.
    expect([...oursLines].filter((l) => worker(l) !== "CTL-6").sort()).toEqual([...awkLines].sort());
  });
});

describe("catalyst-replay output and exit codes", () => {
  it("skips a line nested too deep to render, says so, and prints every line around it (exit 0)", async () => {
    const dir = join(root, "deep");
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    const lines = [
      v1Line("2026-04-14T10:00:00Z", "worker-dispatched", "CTL-1"),
      `{"ts":"2026-04-14T10:00:01Z","orchestrator":"o","worker":"CTL-2","event":"worker-failed","detail":${deep}}`,
      ...Array.from({ length: 2_000 }, (_, i) =>
        v1Line(
          new Date(Date.parse("2026-04-14T10:00:02Z") + i * 1000).toISOString(),
          "worker-status-change",
          "CTL-3",
        ),
      ),
    ];
    await writeTree(dir, { "events/2026-04.jsonl": lines.map((l) => `${l}\n`).join("") });
    const result = await runBin(["--since", "2026-04-14", "--dir", dir]);
    expect(result.code, result.stderr).toBe(0);
    const rows = result.stdout.toString().trimEnd().split("\n");
    // The schema refuses JSON nested over 64 deep before decoding it (issue 17), so the line is
    // skipped as malformed, counted on stderr, and never reaches the pretty printer.
    expect(rows).toHaveLength(lines.length - 1);
    expect(rows[0]).toContain("CTL-1");
    expect(rows.at(-1)).toContain("CTL-3");
    expect(result.stderr).toMatch(/skipped 1 malformed line/);
  });

  it("exits 1 naming the path when events/ is a file, instead of printing nothing", async () => {
    const dir = join(root, "events-file");
    await writeTree(dir, { events: "not a directory\n" });
    const result = await runBin(["--since", "1h", "--format", "jsonl", "--dir", dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(join(dir, "events"));
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
  });

  it("prints --help (saying a zone-less time is UTC) and --version, exit 0", async () => {
    const help = await runBin(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout.toString()).toMatch(/time without a zone is UTC/);
    expect(help.stdout.toString()).toMatch(/--since <ts>/);
    const version = await runBin(["--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout.toString()).toMatch(/^catalyst-replay \d+\.\d+\.\d+\n$/);
  });

  it("exits 2 with one line naming the flag, the value and an example on a bad time", async () => {
    const result = await runBin(["--since", "yesterday", "--dir", ordered]);
    expect(result.code).toBe(2);
    expect(result.stdout.length).toBe(0);
    expect(result.stderr).toMatch(
      /^catalyst-replay: invalid --since value "yesterday": .*2026-04-14T19:00:00Z.*\n$/,
    );
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
    const unknown = await runBin(["--since", "1h", "--colour"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option --colour/);
  });

  it("exits 1 naming the path when the catalyst dir is missing", async () => {
    const missing = join(root, "does-not-exist");
    const result = await runBin(["--since", "1h", "--dir", missing]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(missing);
    expect(result.stdout.length).toBe(0);
  });

  it("exits 0 with no output on an empty catalyst dir", async () => {
    const empty = join(root, "empty");
    await writeTree(empty, { "state.json": "{}" });
    const result = await runBin(["--since", "2020-01-01", "--dir", empty]);
    expect(result.code).toBe(0);
    expect(result.stdout.length).toBe(0);
    // stderr is a pipe here, not a TTY: the "no events matched" note is for terminals only.
    expect(result.stderr).toBe("");
  });

  it("skips a torn last line silently, counts malformed lines on stderr, and --strict makes them fatal", async () => {
    const dir = join(root, "torn");
    const good = [
      v1Line("2026-04-14T18:37:02Z", "worker-dispatched", "CTL-1"),
      v1Line("2026-04-14T18:38:00Z", "worker-done", "CTL-1"),
    ];
    await writeTree(dir, {
      "events/2026-04.jsonl": `${good[0]}\nnot json at all\n{"ts":"nope","event":"x"}\n\n${good[1]}\n{"ts":"2026-04-14T18:39:00Z","orchestr`,
    });
    const result = await runBin(["--since", "2026-04-14", "--format", "jsonl", "--dir", dir]);
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toBe(`${good[0]}\n${good[1]}\n`);
    expect(result.stderr).toBe(
      "catalyst-replay: skipped 2 malformed lines (2 invalid, 0 oversized; bad-ts 1, not-json 1)\n",
    );
    const strict = await runBin(["--since", "2026-04-14", "--format", "jsonl", "--strict", "--dir", dir]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/malformed event-log line \(--strict\)/);
  });

  it("prints one JSON array with --format json, and a readable view with --format pretty", async () => {
    const json = await runBin(["--since", "2026-04-20", "--format", "json", "--dir", ordered]);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout.toString()) as unknown[];
    const expected = fixture.lines.filter((l) => l.slice(7, 17) >= "2026-04-20").map((l) => JSON.parse(l));
    expect(parsed).toEqual(expected);
    const none = await runBin(["--since", "2030-01-01", "--format", "json", "--dir", ordered]);
    expect(JSON.parse(none.stdout.toString())).toEqual([]);

    const pretty = await runBin(["--since", "2026-04-24", "--dir", ordered]);
    const rows = pretty.stdout.toString().trimEnd().split("\n");
    expect(rows.length).toBeGreaterThan(0);
    expect(rows[0]).toMatch(
      /^2026-04-2[45] \d\d:\d\d:\d\d\.\d{3}Z {2}\S+ +orch-api-redesign-2026-04-14 {2}CTL-\d\d/,
    );
    expect(pretty.stdout.includes(0x1b)).toBe(false);
  });

  it("colours pretty output only when forced, and never with NO_COLOR", async () => {
    const forced = await runBin(["--since", "2026-04-24", "--dir", ordered], { FORCE_COLOR: "1" });
    expect(forced.stdout.toString()).toContain("\x1b[");
    const noColor = await runBin(["--since", "2026-04-24", "--dir", ordered], {
      FORCE_COLOR: "1",
      NO_COLOR: "1",
    });
    expect(noColor.stdout.includes(0x1b)).toBe(false);
  });

  it("filters by --type (v1 or canonical name), --worker and --orchestrator", async () => {
    const byType = await runBin([
      "--since",
      "2026-01-01",
      "--format",
      "jsonl",
      "--type",
      "orchestrator.worker.pr_created,heartbeat",
      "--dir",
      ordered,
    ]);
    const lines = byType.stdout.toString().trimEnd().split("\n");
    expect(lines.length).toBe(
      fixture.lines.filter((l) => l.includes("pr_created") || l.includes('"heartbeat"')).length,
    );
    const byWorker = await runBin([
      "--since",
      "2026-01-01",
      "--format",
      "jsonl",
      "--worker",
      "CTL-49",
      "--orchestrator",
      "orch-mar",
      "--type",
      "worker-pr-created",
      "--dir",
      ordered,
    ]);
    const workerLines = byWorker.stdout.toString().trimEnd().split("\n");
    expect(workerLines.length).toBeGreaterThan(0);
    for (const line of workerLines) {
      expect(line).toContain('"catalyst.worker.ticket":"CTL-49"');
      expect(line).toContain('"orchestrator.worker.pr_created"');
    }
  });

  it("ends quietly under `| head`: no EPIPE stack trace, exit 0", async () => {
    const dir = join(root, "big");
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      lines.push(
        v1Line(
          new Date(Date.parse("2026-04-01T00:00:00Z") + i * 1000).toISOString(),
          "worker-status-change",
          `CTL-${i % 50}`,
          { i, pad: "x".repeat(100) },
        ),
      );
    }
    await writeTree(dir, { "events/2026-04.jsonl": `${lines.join("\n")}\n` });
    await appendFile(
      join(dir, "events/2026-04.jsonl"),
      `${sessionLine("2026-04-30T00:00:00Z", "heartbeat")}\n`,
    );
    for (const format of ["jsonl", "pretty"]) {
      const result = await runShell(
        `$REPLAY --since 2026-04-01 --format ${format} --dir '${dir}' | head -n 3`,
      );
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(result.stdout.toString().split("\n")).toHaveLength(4);
    }
  });

  it("on a real terminal (a pty from script(1)): colours pretty output, NO_COLOR turns it off, says when nothing matched", async () => {
    const replay = [process.execPath, ...NODE_ARGS].join(" ");
    const underPty = (args: string, env: Record<string, string> = {}) =>
      runShell(`script -qec "${replay} ${args}" /dev/null`, env);
    const coloured = await underPty(`--since 2026-04-24 --dir ${ordered}`);
    expect(coloured.code).toBe(0);
    expect(coloured.stdout.toString()).toContain("\x1b[2m2026-04-2");
    const plain = await underPty(`--since 2026-04-24 --dir ${ordered}`, { NO_COLOR: "1" });
    expect(plain.stdout.toString()).toMatch(/2026-04-2\d \d\d:\d\d/);
    expect(plain.stdout.includes(0x1b)).toBe(false);
    const nothing = await underPty(`--since 2030-01-01 --dir ${ordered}`);
    expect(nothing.code).toBe(0);
    expect(nothing.stdout.toString()).toContain("catalyst-replay: no events matched");
  });
});
