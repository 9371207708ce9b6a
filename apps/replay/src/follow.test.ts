import { type ChildProcess, spawn } from "node:child_process";
import { appendFile, rm, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeTempDir, removeDir, v1Line, writeTree } from "./log-fixture.test-helper.js";
import { childEnv, NODE_ARGS, REPO_ROOT, waitFor } from "./run-bin.test-helper.js";

// `--follow` end to end: the real bin tails a real catalyst dir while the test appends,
// rolls the month over, truncates and re-creates files, then stops it with SIGINT.

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function start(args: string[]): Running {
  const child = spawn(process.execPath, [...NODE_ARGS, ...args], {
    cwd: REPO_ROOT,
    env: childEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (c: string) => {
    out += c;
  });
  child.stderr?.setEncoding("utf8").on("data", (c: string) => {
    err += c;
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

const line = (n: number, ts: string): string => v1Line(ts, "worker-status-change", `CTL-${n}`, { n });

let dir: string;
let running: Running | null = null;

beforeEach(async () => {
  dir = await makeTempDir();
});

afterEach(async () => {
  if (running && running.child.exitCode === null) {
    running.child.kill("SIGKILL");
    await running.exited;
  }
  running = null;
  await removeDir(dir);
});

describe("catalyst-replay --follow", () => {
  it("prints history, then live lines through rollover, truncation, re-creation and torn writes, once each", async () => {
    const april = join(dir, "events/2026-04.jsonl");
    const may = join(dir, "events/2026-05.jsonl");
    const expected = [line(1, "2026-04-30T23:58:00Z"), line(2, "2026-04-30T23:59:00Z")];
    await writeTree(dir, {
      "events/2026-04.jsonl": `${v1Line("2026-04-01T00:00:00Z", "worker-dispatched", "OLD")}\n${expected[0]}\n${expected[1]}\n`,
    });
    running = start(["--since", "2026-04-30", "--follow", "--format", "jsonl", "--dir", dir]);
    const r = running;
    const seen = (text: string): boolean => r.stdout().includes(`${text}\n`);
    await waitFor("history", () => seen(expected[1] as string));

    const appended = line(3, "2026-04-30T23:59:30Z");
    await appendFile(april, `${appended}\n`);
    expected.push(appended);
    await waitFor("an appended line", () => seen(appended));

    const rolled = line(4, "2026-05-01T00:00:05Z");
    await writeFile(may, `${rolled}\n`);
    expected.push(rolled);
    await waitFor("the first line of the new month", () => seen(rolled));

    // Truncation: the file shrinks to nothing, then gets a new, shorter first line.
    await truncate(may, 0);
    const afterTruncate = line(5, "2026-05-01T00:01:00Z");
    await appendFile(may, `${afterTruncate}\n`);
    expected.push(afterTruncate);
    await waitFor("a line written after truncation", () => seen(afterTruncate));

    // Re-creation: the file is deleted and a new one takes its name.
    await rm(may);
    const recreated = line(6, "2026-05-01T00:02:00Z");
    await writeFile(may, `${recreated}\n`);
    expected.push(recreated);
    await waitFor("a line in the re-created file", () => seen(recreated));

    // A torn write: the second half arrives later; the line is printed once, whole.
    const torn = line(7, "2026-05-01T00:03:00Z");
    await appendFile(may, torn.slice(0, 40));
    const marker = line(8, "2026-04-30T23:59:45Z");
    await appendFile(april, `${marker}\n`);
    await waitFor("a line in another file while one is torn", () => seen(marker));
    expect(r.stdout()).not.toContain(torn.slice(0, 40));
    await appendFile(may, `${torn.slice(40)}\n`);
    expected.push(marker, torn);
    await waitFor("the completed torn line", () => seen(torn));

    r.child.kill("SIGINT");
    expect(await r.exited).toBe(0);
    const printed = r.stdout().trimEnd().split("\n");
    expect([...printed].sort()).toEqual([...expected].sort());
    expect(printed.slice(0, 2)).toEqual(expected.slice(0, 2));
    expect(r.stderr()).toBe("");
  });

  it("without --since prints only lines appended after it started, and applies filters live", async () => {
    const april = join(dir, "events/2026-04.jsonl");
    const old = line(1, "2026-04-10T00:00:00Z");
    await writeTree(dir, { "events/2026-04.jsonl": `${old}\n` });
    running = start(["--follow", "--format", "jsonl", "--worker", "CTL-9", "--dir", dir]);
    const r = running;
    // The tailer's start is not observable from outside, so append until the first live line shows.
    let sent = 0;
    const filteredOut = line(2, "2026-04-10T00:00:01Z");
    await waitFor("the first live line", () => {
      if (r.stdout() !== "") return true;
      sent++;
      void appendFile(
        april,
        `${filteredOut}\n${line(9, `2026-04-10T00:01:${String(sent % 60).padStart(2, "0")}Z`)}\n`,
      );
      return false;
    });
    r.child.kill("SIGINT");
    expect(await r.exited).toBe(0);
    const printed = r.stdout().trimEnd().split("\n");
    expect(printed.length).toBeGreaterThan(0);
    for (const p of printed) expect(JSON.parse(p)).toMatchObject({ worker: "CTL-9" });
    expect(r.stdout()).not.toContain(old);
  });

  it("--wait-for exits 0 on the first matching line (printing only it), and 1 after --timeout", async () => {
    const april = join(dir, "events/2026-04.jsonl");
    await writeTree(dir, { "events/2026-04.jsonl": `${line(1, "2026-04-10T00:00:00Z")}\n` });
    running = start(["--follow", "--wait-for", "--format", "jsonl", "--worker", "CTL-9", "--dir", dir]);
    const r = running;
    // The tailer's start is not observable from outside: append until the bin exits.
    let sent = 0;
    let code: number | null | undefined;
    void r.exited.then((c) => {
      code = c;
    });
    await waitFor("the bin to exit on a match", () => {
      if (code !== undefined) return true;
      sent++;
      void appendFile(
        april,
        `${line(2, "2026-04-10T00:00:01Z")}\n${line(9, `2026-04-10T00:01:${String(sent % 60).padStart(2, "0")}Z`)}\n`,
      );
      return false;
    });
    expect(code).toBe(0);
    const printed = r.stdout().trimEnd().split("\n");
    expect(printed).toHaveLength(1);
    expect(JSON.parse(printed[0]!)).toMatchObject({ worker: "CTL-9" });

    running = start(["--follow", "--wait-for", "--worker", "CTL-404", "--timeout", "1s", "--dir", dir]);
    expect(await running.exited).toBe(1);
    expect(running.stdout()).toBe("");
    expect(running.stderr()).toContain("no matching line within 1s");
  });
});
