import { appendFile, mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { checkpointDir } from "@catalyst/engine/time-travel";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStringSink, parseReplayArgs, replay } from "./index.js";
import { makeTempDir, removeDir } from "./log-fixture.test-helper.js";

// Issue 25, time travel from fold checkpoints: `--at T --snapshot` started from the nearest valid
// checkpoint equals a full fold, on random logs whose writers' clocks are skewed and with lines
// backfilled after the checkpoints were written. Real files, the real sources and fuse.

let root = "";
beforeAll(async () => {
  root = await makeTempDir("catalyst-replay-cp-");
});
afterAll(async () => {
  await removeDir(root);
});

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASE = Date.parse("2026-04-01T00:00:00Z");
const HOUR = 3_600_000;
const STATUSES = ["researching", "planning", "implementing", "validating", "pr-created"];

function line(rand: () => number, ms: number, n: number): string {
  const orch = `orch-${Math.floor(rand() * 3)}`;
  const worker = `CTL-${Math.floor(rand() * 8)}`;
  const ts = new Date(ms).toISOString().replace(".000Z", "Z");
  const r = rand();
  if (r < 0.05)
    return JSON.stringify({
      ts,
      orchestrator: orch,
      worker: null,
      event: "orchestrator-started",
      detail: { tickets: [worker] },
    });
  if (r < 0.15)
    return JSON.stringify({ ts, orchestrator: orch, worker, event: "worker-dispatched", detail: null });
  if (r < 0.2)
    return JSON.stringify({
      ts,
      orchestrator: orch,
      worker,
      event: "worker-pr-created",
      detail: { pr: n, url: `https://github.com/a/b/pull/${n}` },
    });
  if (r < 0.22) return "not json";
  const from = STATUSES[Math.floor(rand() * STATUSES.length)];
  const to = STATUSES[Math.floor(rand() * STATUSES.length)];
  return JSON.stringify({
    ts,
    orchestrator: orch,
    worker,
    event: "worker-status-change",
    detail: { from, to, n },
  });
}

/** Lines for one file: a clock that moves on, sometimes hours off, sometimes backfilling. */
function fileLines(rand: () => number, count: number, skewHours: number): { text: string; times: number[] } {
  let clock = BASE + Math.floor(rand() * 3600) * 1000;
  const out: string[] = [];
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    clock += Math.floor(rand() * 120) * 1000;
    let ms = clock + skewHours * HOUR;
    if (rand() < 0.05) ms -= Math.floor(rand() * 24 * HOUR); // a backfill
    times.push(ms);
    out.push(line(rand, ms, i));
  }
  return { text: `${out.join("\n")}\n`, times };
}

async function snapshot(dir: string, at: number, cache: string, every: string): Promise<string> {
  const env = { CATALYST_CACHE_DIR: cache, CATALYST_REPLAY_CHECKPOINT_LINES: every };
  const command = parseReplayArgs(
    ["--at", new Date(at).toISOString(), "--snapshot", "--format", "jsonl", "--dir", dir],
    { now: new Date(BASE + 1000 * HOUR), env },
  );
  if (command.kind !== "replay") throw new Error("not a replay");
  const out = createStringSink();
  const err = createStringSink();
  await replay(command.options, { out, err, env });
  // The malformed-line count (stderr) must be the full fold's too, not only the fleet.
  const skipped = err.text.split("\n").filter((l) => l.includes("malformed"));
  return `${out.text}${skipped.join("\n")}`;
}

describe("--at --snapshot from fold checkpoints", () => {
  for (const seed of [11, 22, 33]) {
    it(`equals a full fold at any time, before and after a backfill (seed ${seed})`, async () => {
      const rand = rng(seed);
      const dir = join(root, `log-${seed}`);
      await mkdir(join(dir, "events"), { recursive: true });
      const files = ["events.jsonl", "events/2026-03.jsonl", "events/2026-04.jsonl"];
      const all: number[] = [];
      for (const [k, name] of files.entries()) {
        const { text, times } = fileLines(
          rand,
          300 + Math.floor(rand() * 300),
          k === 1 ? (rand() < 0.5 ? -12 : 12) : 0,
        );
        await writeFile(join(dir, name), text);
        all.push(...times);
      }
      const cache = join(root, `cache-${seed}`);
      const cps = checkpointDir(cache, dir);
      const lo = Math.min(...all);
      const hi = Math.max(...all);
      const pick = (): number => Math.floor(lo + rand() * (hi - lo));
      // Lay down checkpoints (every 40 lines) with a fold to the end.
      await snapshot(dir, hi + 1000, cache, "40");
      const laid = (await readdir(cps)).filter((n) => n.endsWith(".jsonl.gz")).length;
      expect(laid).toBeGreaterThan(5);
      const compare = async (): Promise<void> => {
        for (let k = 0; k < 6; k++) {
          const at = pick();
          const full = await snapshot(
            dir,
            at,
            join(root, `empty-${seed}-${k}-${Math.random()}`),
            "1000000000",
          );
          const fromCheckpoint = await snapshot(dir, at, cache, "40");
          expect(fromCheckpoint, new Date(at).toISOString()).toBe(full);
        }
      };
      await compare();
      // A backfill at time B (appended to a file and in a new month file): checkpoints at or
      // after B are no longer valid; those before B still are.
      const backfillAt = Math.floor(lo + (hi - lo) * 0.5);
      const before = (await readdir(cps))
        .map((n) => Number(n.replace(".jsonl.gz", "")))
        .filter((t) => t < backfillAt);
      await appendFile(join(dir, files[2]!), `${line(rand, backfillAt, 9999)}\n`);
      await writeFile(join(dir, "events", "2026-05.jsonl"), `${line(rand, backfillAt + 1000, 9998)}\n`);
      await compare();
      const after = (await readdir(cps)).map((n) => Number(n.replace(".jsonl.gz", "")));
      for (const t of before) expect(after).toContain(t);
      // And at the end, past the backfill, equal again.
      expect(await snapshot(dir, hi + 5000, cache, "40")).toBe(
        await snapshot(dir, hi + 5000, join(root, `empty-end-${seed}`), "1000000000"),
      );
    }, 120_000);
  }
});

describe("--at --snapshot heap tuning", () => {
  it("asks the bin to tune the heap only when a checkpoint at or before --at is there", async () => {
    const rand = rng(44);
    const dir = join(root, "log-tune");
    await mkdir(join(dir, "events"), { recursive: true });
    const { text, times } = fileLines(rand, 200, 0);
    await writeFile(join(dir, "events", "2026-04.jsonl"), text);
    const cache = join(root, "cache-tune");
    const env = { CATALYST_CACHE_DIR: cache, CATALYST_REPLAY_CHECKPOINT_LINES: "40" };
    const run = async (at: number, extra: string[] = []): Promise<number> => {
      const command = parseReplayArgs(
        ["--at", new Date(at).toISOString(), "--snapshot", "--format", "jsonl", "--dir", dir, ...extra],
        { now: new Date(BASE + 1000 * HOUR), env },
      );
      if (command.kind !== "replay") throw new Error("not a replay");
      let tuned = 0;
      await replay(command.options, {
        out: createStringSink(),
        err: createStringSink(),
        env,
        tuneHeapForShortFold: async () => {
          tuned++;
        },
      });
      return tuned;
    };
    const hi = Math.max(...times);
    // No checkpoint yet: a fold from the start keeps V8's defaults (and lays checkpoints).
    expect(await run(hi)).toBe(0);
    expect(await run(hi)).toBe(1);
    // Before the first checkpoint, or narrowed to one orchestrator (no checkpoint used): not tuned.
    expect(await run(Math.min(...times))).toBe(0);
    expect(await run(hi, ["--orchestrator", "orch-0"])).toBe(0);
  });
});
