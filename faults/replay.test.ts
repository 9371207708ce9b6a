import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createSeededRandom } from "../packages/fleet-sim/src/index.ts";
import { getJson, killAll, type MonitorRun, removeDir, spawnBin, startMonitor, tempDir } from "./support.js";

// catalyst-replay and /api/events on logs whose clocks lie: lines stamped 1970 and 2099 by bugs,
// a writer 12 h ahead, backfills days old, a legacy writer still appending. Both must return
// exactly what a full scan filtered by `ts` returns (replay byte for byte, in time order), on the
// first run (which builds the index) and on later runs (which skip blocks by it). The index lives
// in CATALYST_CACHE_DIR, never in the catalyst dir.

const dirs: string[] = [];
let monitor: MonitorRun | null = null;
afterEach(async () => {
  await monitor?.stop();
  monitor = null;
  for (const dir of dirs.splice(0)) await removeDir(dir);
});
afterAll(() => killAll());

interface Line {
  ts: number;
  file: number;
  offset: number;
  text: string;
}

const FILES = ["events.jsonl", "events/2026-03.jsonl", "events/2026-04.jsonl", "events/2026-05.jsonl"];
const HOUR = 3_600_000;

/** A deterministic PRNG (fleet-sim's): a failure names its seed. */
const rng = (seed: number): (() => number) => createSeededRandom(seed).next;

async function adversarialLog(dir: string, seed: number, count: number): Promise<Line[]> {
  const rand = rng(seed);
  const texts: string[][] = FILES.map(() => []);
  const sizes = FILES.map(() => 0);
  const lines: Line[] = [];
  let clock = Date.parse("2026-03-20T00:00:00Z");
  for (let i = 0; i < count; i++) {
    clock += Math.floor(rand() * 1200) * 1000;
    const month = new Date(clock).toISOString().slice(0, 7);
    // The legacy writer keeps appending a tenth of the lines; the rest go to the month's file.
    const file = rand() < 0.1 ? 0 : Math.max(1, FILES.indexOf(`events/${month}.jsonl`));
    let ts = clock;
    const r = rand();
    if (r < 0.005) ts = Date.parse("1970-01-01T00:00:00Z") + i * 1000;
    else if (r < 0.01) ts = Date.parse("2099-06-01T00:00:00Z") + i * 1000;
    else if (r < 0.08) ts = clock + 12 * HOUR;
    else if (r < 0.12) ts = clock - Math.floor(rand() * 5 * 24) * HOUR;
    const ms = rand() < 0.3;
    const iso = ms
      ? new Date(ts + Math.floor(rand() * 1000)).toISOString()
      : `${new Date(ts).toISOString().slice(0, 19)}Z`;
    const text = JSON.stringify({
      ts: iso,
      orchestrator: `orch-${i % 3}`,
      worker: `CTL-${i % 17}`,
      event: "worker-status-change",
      detail: { seq: i, note: "x".repeat(Math.floor(rand() * 200)) },
    });
    lines.push({ ts: Date.parse(iso), file, offset: sizes[file]!, text });
    texts[file]!.push(text);
    sizes[file]! += Buffer.byteLength(text) + 1;
  }
  await mkdir(join(dir, "events"), { recursive: true });
  for (const [f, name] of FILES.entries()) {
    await writeFile(join(dir, name), texts[f]!.map((t) => `${t}\n`).join(""));
  }
  return lines;
}

/** The full scan: every line with `ts` in [since, until), by time, then file, then offset. */
function fullScan(lines: Line[], sinceMs: number, untilMs: number): Line[] {
  return lines
    .filter((l) => l.ts >= sinceMs && l.ts < untilMs)
    .sort((a, b) => a.ts - b.ts || a.file - b.file || a.offset - b.offset);
}

async function replay(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; out: string; err: string }> {
  const run = spawnBin("replay", args, { env });
  const { code } = await run.exit;
  return { code, out: run.stdout(), err: run.stderr() };
}

describe("catalyst-replay and /api/events are exact whatever the clocks did", () => {
  it("--since/--until and /api/events equal a full scan, first run and indexed runs alike", async () => {
    const seed = Number(process.env.FAULTS_SEED ?? Date.now() % 1_000_000);
    const dir = await tempDir("replay-exact");
    const cache = await tempDir("replay-cache");
    dirs.push(dir, cache);
    const lines = await adversarialLog(dir, seed, 6_000);
    const env = { CATALYST_CACHE_DIR: cache };
    const windows: Array<[string, string | null]> = [
      ["1960-01-01T00:00:00Z", null],
      ["2026-04-10T00:00:00Z", null],
      ["2026-04-01T00:00:00Z", "2026-04-02T12:00:00Z"],
      ["1970-01-01T00:00:00Z", "1970-01-01T01:00:00Z"],
      ["2099-01-01T00:00:00Z", null],
      ["2026-05-01T00:00:00Z", "2026-05-01T00:00:01Z"],
    ];
    for (const pass of ["first run (indexing)", "indexed"]) {
      for (const [since, until] of windows) {
        const want = fullScan(lines, Date.parse(since), until ? Date.parse(until) : Number.POSITIVE_INFINITY);
        const args = [
          "--since",
          since,
          ...(until ? ["--until", until] : []),
          "--format",
          "jsonl",
          "--dir",
          dir,
        ];
        const got = await replay(args, env);
        const what = `seed ${seed}, ${pass}, [${since}, ${until ?? "∞"})`;
        expect(got.code, `${what}: ${got.err}`).toBe(0);
        expect(got.out, what).toBe(want.map((l) => `${l.text}\n`).join(""));
      }
    }
    // The index is in the cache dir; the catalyst dir holds only what the test wrote.
    expect((await readdir(cache, { recursive: true })).some((f) => f.endsWith(".json"))).toBe(true);
    expect((await readdir(dir, { recursive: true })).sort()).toEqual(["events", ...FILES].sort());

    monitor = await startMonitor(dir, { env });
    for (const [since, until] of windows) {
      const want = fullScan(lines, Date.parse(since), until ? Date.parse(until) : Number.POSITIVE_INFINITY);
      const query = `since=${encodeURIComponent(since)}${until ? `&until=${encodeURIComponent(until)}` : ""}&limit=10000`;
      const body = await getJson<{ events: unknown[]; truncated: boolean }>(
        `${monitor.url}api/events?${query}`,
      );
      const what = `seed ${seed}, /api/events [${since}, ${until ?? "∞"})`;
      expect(body.truncated, what).toBe(false);
      const seqOf = (line: unknown): number => (line as { detail: { seq: number } }).detail.seq;
      expect(body.events.map(seqOf), what).toEqual(want.map((l) => seqOf(JSON.parse(l.text))));
    }
  });

  it("an events dir that is a file, or that cannot be read, is an error naming it (exit 1), not an empty log", async () => {
    const dir = await tempDir("replay-bad-events");
    dirs.push(dir);
    await writeFile(join(dir, "events"), "not a directory\n");
    const asFile = await replay(["--since", "1h", "--format", "jsonl", "--dir", dir], {
      CATALYST_CACHE_DIR: join(dir, "..", "cache-unused"),
    });
    expect(asFile.code).toBe(1);
    expect(asFile.err).toContain(join(dir, "events"));
    expect(asFile.err).not.toMatch(/\n\s+at /); // no stack trace

    if (process.getuid?.() === 0) {
      // chmod 000 does not stop root: run as nobody against a dir nobody cannot list.
      const locked = await tempDir("replay-locked");
      dirs.push(locked);
      const { chmod } = await import("node:fs/promises");
      await mkdir(join(locked, "events"));
      await writeFile(join(locked, "events", "2026-04.jsonl"), '{"ts":"2026-04-01T00:00:00Z","event":"x"}\n');
      await chmod(locked, 0o755);
      await chmod(join(locked, "events"), 0o700);
      const run = spawnBin("replay", ["--since", "2020-01-01", "--format", "jsonl", "--dir", locked], {
        uid: 65534,
        gid: 65534,
        env: { CATALYST_CACHE_DIR: "/tmp/faults-replay-nobody-cache-unused" },
      });
      const { code } = await run.exit;
      expect(code, run.stderr()).toBe(1);
      expect(run.stderr()).toContain(join(locked, "events"));
    }
  });

  it("an unwritable cache dir still gives the full output, and says so once on stderr", async () => {
    const dir = await tempDir("replay-nocache");
    dirs.push(dir);
    const lines = await adversarialLog(dir, 7, 500);
    const blocker = join(dir, "..", `${dir.split("/").pop()}-blocker`);
    await writeFile(blocker, "a file where the cache dir should be\n");
    dirs.push(blocker);
    const got = await replay(["--since", "1960-01-01", "--format", "jsonl", "--dir", dir], {
      CATALYST_CACHE_DIR: join(blocker, "cache"),
    });
    expect(got.code).toBe(0);
    expect(got.out).toBe(
      fullScan(lines, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY)
        .map((l) => `${l.text}\n`)
        .join(""),
    );
    const mentions = got.err.split("\n").filter((l) => l.includes("cannot keep the log index"));
    expect(mentions).toHaveLength(1);
  });
});
