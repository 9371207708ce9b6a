import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { foldEvents } from "@catalyst/fuse";
import { readEvents, readLogLayout } from "@catalyst/sources/event-log";
import { afterEach, describe, expect, it } from "vitest";
import { removeSupersededCaches } from "./cache-cleanup.js";
import { foldAt } from "./fold-at.js";
import { checkpointDir, thin } from "./fold-checkpoints.js";
import { createTimeTravel, TimeTravelBusyError } from "./snapshot-at.js";

// Issue 25, time travel: the fleet at a time from the nearest fold checkpoint equals one fold from
// the start; the monitor's service folds one question at a time and caches answers while the log
// stays the same. Real temp dirs, the real log readers and fuse.

const BASE = Date.parse("2026-04-01T00:00:00Z");
const MINUTE = 60_000;
const STATUSES = ["researching", "planning", "implementing", "validating", "pr-created"];

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function line(i: number, ms: number): string {
  const ts = new Date(ms).toISOString().replace(".000Z", "Z");
  const orchestrator = `orch-${i % 3}`;
  const worker = `CTL-${i % 7}`;
  if (i % 11 === 0)
    return JSON.stringify({ ts, orchestrator, worker, event: "worker-dispatched", detail: null });
  return JSON.stringify({
    ts,
    orchestrator,
    worker,
    event: "worker-status-change",
    detail: { from: STATUSES[i % 5], to: STATUSES[(i + 1) % 5] },
  });
}

/** `count` lines one minute apart from BASE in two month files (March is skewed back a day). */
async function writeLog(count: number): Promise<string> {
  const dir = await tempDir("time-travel-log-");
  await mkdir(join(dir, "events"), { recursive: true });
  const a: string[] = [];
  const b: string[] = [];
  for (let i = 0; i < count; i++) (i % 4 === 0 ? a : b).push(line(i, BASE + i * MINUTE));
  await writeFile(join(dir, "events", "2026-03.jsonl"), `${a.join("\n")}\n`);
  await writeFile(join(dir, "events", "2026-04.jsonl"), `${b.join("\n")}\nnot json\n`);
  return dir;
}

async function oneShot(dir: string, at: Date) {
  const events = [];
  for await (const r of readEvents(dir, { until: new Date(at.getTime() + 1) })) events.push(r.event);
  return foldEvents(events, at);
}

describe("foldAt", () => {
  it("equals fuse's one-shot fold, from the start and from a checkpoint", async () => {
    const dir = await writeLog(600);
    const cacheDir = await tempDir("time-travel-cache-");
    const end = new Date(BASE + 700 * MINUTE);
    // Lays down checkpoints every 50 lines on the way to the end.
    const first = await foldAt(dir, end, { cacheDir, checkpointLines: 50 });
    expect(first.checkpointMs).toBeNull();
    expect(first.folded).toBe(600);
    expect(first.snapshot).toEqual(await oneShot(dir, end));
    const laid = await readdir(checkpointDir(cacheDir, dir));
    expect(laid.length).toBeGreaterThanOrEqual(10);
    for (const minute of [75, 260, 433, 599]) {
      const at = new Date(BASE + minute * MINUTE + 500);
      const result = await foldAt(dir, at, { cacheDir, checkpointLines: 50 });
      expect(result.checkpointMs).not.toBeNull();
      // Only the lines after the nearest checkpoint are folded.
      expect(result.folded).toBeLessThanOrEqual(50);
      expect(result.snapshot).toEqual(await oneShot(dir, at));
      expect(result.stats.invalid).toBeGreaterThanOrEqual(1); // the "not json" line
      // Finished a share at a time (a monitor's answer): the same fleet.
      const sliced = await foldAt(dir, at, { cacheDir, checkpointLines: 50, sliceMs: 0 });
      expect(sliced.snapshot).toEqual(result.snapshot);
    }
  });

  it("a backfilled line invalidates only the checkpoints at or after its time", async () => {
    const dir = await writeLog(400);
    const cacheDir = await tempDir("time-travel-cache-");
    await foldAt(dir, new Date(BASE + 500 * MINUTE), { cacheDir, checkpointLines: 40 });
    const cps = checkpointDir(cacheDir, dir);
    const times = (await readdir(cps)).map((n) => Number.parseInt(n, 10)).sort((x, y) => x - y);
    const backfill = BASE + 200 * MINUTE + 30_000;
    await appendFile(join(dir, "events", "2026-03.jsonl"), `${line(9001, backfill)}\n`);
    const at = new Date(BASE + 350 * MINUTE);
    const result = await foldAt(dir, at, { cacheDir, checkpointLines: 1_000_000 });
    expect(result.checkpointMs).not.toBeNull();
    expect(result.checkpointMs!).toBeLessThan(backfill);
    expect(result.snapshot).toEqual(await oneShot(dir, at));
    const left = (await readdir(cps)).map((n) => Number.parseInt(n, 10));
    for (const t of times) {
      if (t < backfill) expect(left).toContain(t);
    }
    expect(left.filter((t) => t >= backfill && t <= at.getTime())).toEqual([]);
  });

  it("a torn or foreign checkpoint file is removed and the answer is still a full fold's", async () => {
    const dir = await writeLog(300);
    const cacheDir = await tempDir("time-travel-cache-");
    await foldAt(dir, new Date(BASE + 400 * MINUTE), { cacheDir, checkpointLines: 50 });
    const cps = checkpointDir(cacheDir, dir);
    const names = (await readdir(cps)).sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10));
    const last = names.at(-1)!;
    const before = names.at(-2)!;
    // Torn: the gzip stream cut in half. Foreign: a valid gzip of something else.
    const bytes = await readFile(join(cps, last));
    await writeFile(join(cps, last), bytes.subarray(0, bytes.length >> 1));
    await writeFile(join(cps, before), gzipSync('{"v":3,"not":"ours"}\n'));
    const at = new Date(BASE + 299 * MINUTE);
    const result = await foldAt(dir, at, { cacheDir, checkpointLines: 1_000_000 });
    expect(result.snapshot).toEqual(await oneShot(dir, at));
    expect(result.checkpointMs).not.toBeNull();
    const left = await readdir(cps);
    expect(left).not.toContain(last);
    expect(left).not.toContain(before);
  });

  it("thins checkpoints evenly and keeps the oldest and newest", () => {
    const times = Array.from({ length: 20 }, (_, i) => i * 10);
    const dropped = thin(times, 5);
    expect(dropped).toHaveLength(15);
    const kept = times.filter((t) => !dropped.includes(t));
    expect(kept[0]).toBe(0);
    expect(kept.at(-1)).toBe(190);
    const gaps = kept.slice(1).map((t, i) => t - kept[i]!);
    // Within twice the even spacing (190 / 4).
    expect(Math.max(...gaps)).toBeLessThanOrEqual(95);
  });
});

describe("createTimeTravel", () => {
  it("answers with `at`, caches while the log stays the same, folds again after it changes", async () => {
    const dir = await writeLog(200);
    const cacheDir = await tempDir("time-travel-cache-");
    const travel = createTimeTravel({ catalystDir: dir, cacheDir, cached: 2 });
    const at = new Date(BASE + 100 * MINUTE);
    const answer = await travel.snapshotAt(at);
    expect(answer.at).toBe(at.toISOString());
    const { at: _at, ...snapshot } = answer;
    expect(snapshot).toEqual(await oneShot(dir, at));
    await travel.snapshotAt(at);
    expect(travel.counts()).toEqual({ folds: 1, cacheHits: 1 });
    // A line backfilled before `at`: a new answer that includes it.
    await appendFile(join(dir, "events", "2026-04.jsonl"), `${line(5000, BASE + 50 * MINUTE)}\n`);
    const after = await travel.snapshotAt(at);
    expect(travel.counts()).toEqual({ folds: 2, cacheHits: 1 });
    const { at: _a2, ...again } = after;
    expect(again).toEqual(await oneShot(dir, at));
  });

  it("folds one question at a time and refuses more than maxWaiting", async () => {
    const dir = await writeLog(50);
    let inFlight = 0;
    let most = 0;
    const travel = createTimeTravel({
      catalystDir: dir,
      cached: 0,
      maxWaiting: 2,
      readers: {
        readLogLayout,
        readEvents: (d, o) => {
          const inner = readEvents(d, o);
          return {
            stats: inner.stats,
            async *[Symbol.asyncIterator]() {
              inFlight++;
              most = Math.max(most, inFlight);
              try {
                yield* inner;
              } finally {
                inFlight--;
              }
            },
          };
        },
      },
    });
    const asks = Array.from({ length: 5 }, (_, i) => travel.snapshotAt(new Date(BASE + i * MINUTE)));
    const settled = await Promise.allSettled(asks);
    expect(most).toBe(1);
    const refused = settled.filter((s) => s.status === "rejected");
    expect(refused.length).toBe(2);
    for (const r of refused) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(TimeTravelBusyError);
  });
});

describe("removeSupersededCaches", () => {
  it("removes our older cache versions from the cache dir and nothing else, never from the catalyst dir", async () => {
    const cacheDir = await tempDir("time-travel-cache-");
    const keep = [
      "event-index-v4",
      "fold-checkpoints-v4",
      "fold-checkpoints-v9",
      "event-index-v3.bak",
      "other-v1",
      "my-event-index-v1",
    ];
    const old = ["event-index-v1", "event-index-v3", "fold-checkpoints-v2", "fold-checkpoints-v3"];
    for (const name of [...keep, ...old]) {
      await mkdir(join(cacheDir, name, "sub"), { recursive: true });
      await writeFile(join(cacheDir, name, "sub", "f.json"), "{}");
    }
    // A file with an old name is not a dir of ours.
    await writeFile(join(cacheDir, "fold-checkpoints-v1"), "not a dir");
    const dir = await writeLog(20);
    await foldAt(dir, new Date(BASE + 30 * MINUTE), { cacheDir });
    const left = (await readdir(cacheDir)).sort();
    for (const name of old) expect(left).not.toContain(name);
    for (const name of [...keep, "fold-checkpoints-v1"]) expect(left).toContain(name);

    // A cache dir inside the catalyst dir is never cleaned (nothing is written into the catalyst dir).
    const inside = join(dir, "cache");
    await mkdir(join(inside, "event-index-v3"), { recursive: true });
    expect(await removeSupersededCaches(inside, dir)).toEqual([]);
    expect(await readdir(inside)).toContain("event-index-v3");
  });
});
