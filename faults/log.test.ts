// The event log under fault, against the real monitor bin (live `log-event` frames) and the real
// catalyst-replay bin (history): split writes, concurrent appenders, binary garbage, a 10 MB line,
// truncation, rotation and month rollover. Every line written whole must arrive exactly once.
import { spawn } from "node:child_process";
import { appendFile, mkdir, readdir, readFile, rename, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  duplicatesOf,
  health,
  killAll,
  logLine,
  logSeqs,
  type MonitorRun,
  nonIncreasingIds,
  openStream,
  removeDir,
  rssOf,
  type Stream,
  scaled,
  spawnBin,
  startMonitor,
  tempDir,
  waitFor,
  writeFleet,
} from "./support.ts";

let root: string;
let dir: string;
let events: string;
let monitor: MonitorRun;
let stream: Stream;
let seq = 1;
const sent: number[] = [];

const monthOf = (d: Date) => d.toISOString().slice(0, 7);
const now = new Date();
const current = () => join(events, `${monthOf(now)}.jsonl`);
const nextMonth = () => {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return { file: join(events, `${monthOf(d)}.jsonl`), first: d };
};

/** Appends `n` whole lines (one write each) and remembers their seqs. */
async function appendLines(file: string, n: number, ts?: Date): Promise<number[]> {
  const seqs: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = seq++;
    seqs.push(s);
    sent.push(s);
    await appendFile(file, logLine(s, ts));
  }
  return seqs;
}

/** Waits until every seq in `seqs` has arrived, and checks nothing arrived twice. */
async function expectDelivered(seqs: number[], what: string, timeoutMs?: number): Promise<void> {
  await waitFor(
    what,
    () => {
      const got = new Set(logSeqs(stream.frames));
      return seqs.every((s) => got.has(s));
    },
    timeoutMs,
  );
  expect(duplicatesOf(logSeqs(stream.frames))).toEqual([]);
  expect(monitor.alive()).toBe(true);
}

beforeAll(async () => {
  root = await tempDir("log");
  dir = join(root, "catalyst");
  events = join(dir, "events");
  await writeFleet(dir, 1, 10);
  await mkdir(events, { recursive: true });
  await writeFile(current(), logLine(0));
  monitor = await startMonitor(dir);
  stream = openStream(monitor.url);
  await waitFor("the snapshot frame", () => stream.frames.some((f) => f.event === "snapshot"));
});

afterAll(async () => {
  stream?.close();
  await monitor?.stop();
  killAll();
  await removeDir(root);
});

describe("event log under fault (real monitor bin and catalyst-replay)", () => {
  it("a line written in several writes arrives once, whole", async () => {
    await expectDelivered(await appendLines(current(), 3), "three plain lines");
    const s = seq++;
    sent.push(s);
    const line = logLine(s);
    const cuts = [0, 7, Math.floor(line.length / 2), line.length - 1, line.length];
    for (let i = 0; i + 1 < cuts.length; i++) {
      await appendFile(current(), line.slice(cuts[i], cuts[i + 1]));
      // A pause between the pieces so the tailer sees each partial state (fault injection, not a wait).
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    await expectDelivered([s], "the split line");
  });

  it("concurrent appender processes: every line once", async () => {
    const perProcess = scaled(500, 50);
    const procs = 3;
    const first = seq;
    seq += procs * perProcess;
    const seqs: number[] = [];
    for (let i = first; i < seq; i++) seqs.push(i);
    sent.push(...seqs);
    const script = `
      const { appendFileSync } = require("node:fs");
      const [file, from, n] = process.argv.slice(1);
      for (let i = 0; i < Number(n); i++) {
        const s = Number(from) + i;
        appendFileSync(file, JSON.stringify({ ts: new Date().toISOString().replace(/\\.\\d+Z$/, "Z"),
          orchestrator: "orch-f00", worker: "CTL-00" + (s % 10), event: "worker-status-change",
          detail: { from: "planning", to: "implementing", seq: s } }) + "\\n");
      }`;
    await Promise.all(
      Array.from({ length: procs }, (_, p) => {
        const child = spawn(
          process.execPath,
          ["-e", script, current(), String(first + p * perProcess), String(perProcess)],
          {
            stdio: "ignore",
          },
        );
        return new Promise<void>((resolve, reject) =>
          child.once("exit", (code) =>
            code === 0 ? resolve() : reject(new Error(`appender exited ${code}`)),
          ),
        );
      }),
    );
    // 1,500 lines from three processes at once: on a loaded 2-core box this can take longer than
    // the default wait, which is not what the test is about (every line once is).
    await expectDelivered(seqs, `${procs} × ${perProcess} concurrent lines`, 90_000);
  });

  it("binary garbage and a 10 MB line are skipped; the lines around them are not lost", async () => {
    const before = await appendLines(current(), 2);
    const garbage = Buffer.alloc(64 * 1024);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) % 256;
    await appendFile(current(), Buffer.concat([garbage, Buffer.from("\n")]));
    const middle = await appendLines(current(), 2);
    const big = seq++; // deliberately not in `sent`: it is over the 1 MiB line cap and is skipped
    await appendFile(current(), logLine(big, new Date(), 10 * 1024 * 1024));
    const after = await appendLines(current(), 2);
    await expectDelivered([...before, ...middle, ...after], "the lines around garbage and the 10 MB line");
    expect(logSeqs(stream.frames)).not.toContain(big);
    const rss = rssOf(monitor.child.pid!);
    expect(rss === null || rss < 400 * 1024 * 1024, `monitor RSS ${rss}`).toBe(true);
  });

  it("truncation: lines written after the file is emptied arrive", async () => {
    await truncate(current(), 0);
    // One short line first: shorter than the old offset, so the truncation is seen as one.
    await expectDelivered(await appendLines(current(), 5), "lines after truncation");
  });

  it("rotation: the old file is drained and the new one read from its start", async () => {
    const tail = await appendLines(current(), 3);
    await rename(current(), `${current()}.1`);
    const fresh = await appendLines(current(), 4);
    await expectDelivered([...tail, ...fresh], "lines around a rotation");
  });

  it("month rollover: a new monthly file is read from its first line", async () => {
    const { file, first } = nextMonth();
    const seqs = await appendLines(file, 5, first);
    await expectDelivered(seqs, "lines in the next month's file");
    expect(nonIncreasingIds(stream.frames)).toEqual([]);
    // Every whole line sent so far arrived exactly once, and the monitor reported no line twice.
    const got = logSeqs(stream.frames);
    expect(duplicatesOf(got)).toEqual([]);
    expect(sent.filter((s) => !got.includes(s))).toEqual([]);
    expect((await health(monitor.url)).sources.lastError ?? null).toBeNull();
  });

  it("catalyst-replay prints every valid line still in the log exactly once, and survives the garbage", async () => {
    // The earlier garbage went with the truncation: put some in the newest file, between good lines.
    const { file, first } = nextMonth();
    await appendFile(file, Buffer.from([0, 1, 2, 255, 254, 10, 123, 34, 10]));
    await appendFile(file, logLine(seq++, first, 2 * 1024 * 1024));
    await appendLines(file, 2, first);
    const names = (await readdir(events)).filter((n) => /^\d{4}-\d{2}\.jsonl$/.test(n));
    const expected: number[] = [];
    for (const name of names) {
      for (const line of (await readFile(join(events, name), "latin1")).split("\n")) {
        if (line.length > 1024 * 1024) continue;
        try {
          const s = (JSON.parse(line) as { detail?: { seq?: number } }).detail?.seq;
          if (typeof s === "number") expected.push(s);
        } catch {
          // garbage: replay skips it too
        }
      }
    }
    const run = spawnBin("replay", ["--dir", dir, "--since", "2000-01-01", "--format", "jsonl"]);
    const { code } = await run.exit;
    expect(code, run.stderr()).toBe(0);
    const printed = run
      .stdout()
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => (JSON.parse(l) as { detail: { seq: number } }).detail.seq);
    expect(duplicatesOf(printed)).toEqual([]);
    expect([...printed].sort((a, b) => a - b)).toEqual([...expected].sort((a, b) => a - b));
    expect(run.stderr()).toMatch(/skipped|malformed|invalid|oversized/i);
  });
});
