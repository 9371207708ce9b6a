// Issue 25 (P4): how long a time-travel answer holds the monitor's event loop at ~9,600 workers
// (240 orchestrators of 40). Old checkpoint path (the whole state as one JSON text: stringify,
// gzip / gunzip, JSON.parse, importState) against the v4 one (JSON lines, one orchestrator at a
// time), and a whole `?at=` answer from a checkpoint (createTimeTravel). The longest turn of the
// event loop is taken from perf_hooks' monitorEventLoopDelay. Usage (from apps/replay):
//   node --conditions=@catalyst/source --import tsx bench/time-travel-loop.ts [--orchestrators 240] [--runs 3]
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gunzip, gzip } from "node:zlib";
import {
  checkpointDir,
  createTimeTravel,
  foldAt,
  readCheckpoint,
  saveCheckpoint,
} from "@catalyst/engine/time-travel";
import { createInitialState, exportStateJson, importState, reduce, toSnapshot } from "@catalyst/fuse";
import { readEvents } from "@catalyst/sources/event-log";
import { loadNote } from "@catalyst/test-utils/bench";

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const ORCHS = arg("orchestrators", 240);
const RUNS = arg("runs", 3);
const WORKERS = 40;
const BASE = Date.parse("2026-03-01T00:00:00Z");
const STATUSES = ["researching", "planning", "implementing", "validating", "pr-created"];

function iso(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

async function writeLog(dir: string): Promise<number> {
  const lines: string[] = [];
  let ms = BASE;
  const tick = (): number => {
    ms += 1000;
    return ms;
  };
  for (let o = 0; o < ORCHS; o++) {
    const orch = `orch-${o}`;
    const tickets = Array.from({ length: WORKERS }, (_, w) => `CTL-${o * WORKERS + w}`);
    lines.push(
      JSON.stringify({
        ts: iso(tick()),
        orchestrator: orch,
        worker: null,
        event: "orchestrator-started",
        detail: { tickets },
      }),
    );
    for (const t of tickets) {
      lines.push(
        JSON.stringify({
          ts: iso(tick()),
          orchestrator: orch,
          worker: t,
          event: "worker-dispatched",
          detail: null,
        }),
      );
      for (let k = 0; k < 3; k++)
        lines.push(
          JSON.stringify({
            ts: iso(tick()),
            orchestrator: orch,
            worker: t,
            event: "worker-status-change",
            detail: { from: STATUSES[k], to: STATUSES[k + 1] },
          }),
        );
    }
  }
  await mkdir(join(dir, "events"), { recursive: true });
  await writeFile(join(dir, "events", "2026-03.jsonl"), `${lines.join("\n")}\n`);
  return ms;
}

/** The longest event-loop turn (ms) while `work` runs: the largest gap between ticks of a 1 ms timer. */
async function longestTurn<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  let last = performance.now();
  let most = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    most = Math.max(most, now - last);
    last = now;
  }, 1);
  try {
    await new Promise((resolve) => setTimeout(resolve, 5));
    most = 0;
    last = performance.now();
    const value = await work();
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { ms: most, value };
  } finally {
    clearInterval(timer);
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const root = await mkdtemp(join(tmpdir(), "tt-loop-"));
try {
  const dir = join(root, "catalyst");
  const lastMs = await writeLog(dir);
  const at = new Date(lastMs);
  let state = createInitialState();
  const batch = [];
  for await (const r of readEvents(dir)) batch.push(r);
  for (let i = 0; i < batch.length; i += 512)
    state = reduce(state, { kind: "log-lines", records: batch.slice(i, i + 512), replayed: true }, at).state;
  const workers = Object.values(state.orchestrators).length * WORKERS;
  const stateBytes = exportStateJson(state).length;
  const gzipAsync = promisify(gzip);
  const gunzipAsync = promisify(gunzip);
  const rows: Record<string, number[]> = {};
  const add = (k: string, v: number): void => {
    rows[k] = [...(rows[k] ?? []), v];
  };
  const cpDir = join(root, "cp");
  const header = {
    v: 4 as const,
    dir,
    atMs: lastMs,
    files: [],
    invalid: 0,
    invalidReasons: {},
    oversized: 0,
    lines: batch.length,
  };
  for (let run = 0; run < RUNS; run++) {
    let gz: Buffer = Buffer.alloc(0);
    add(
      "old: exportStateJson + gzip (write)",
      (
        await longestTurn(async () => {
          gz = await gzipAsync(exportStateJson(state), { level: 1 });
        })
      ).ms,
    );
    add(
      "old: gunzip + JSON.parse + importState (read)",
      (
        await longestTurn(async () => {
          importState(JSON.parse((await gunzipAsync(gz)).toString("utf8")), { adopt: true });
        })
      ).ms,
    );
    await rm(cpDir, { recursive: true, force: true });
    add("v4: saveCheckpoint (write)", (await longestTurn(() => saveCheckpoint(cpDir, header, state))).ms);
    const name = (await readdir(cpDir))[0]!;
    add(
      "v4: readCheckpoint (read)",
      (await longestTurn(() => readCheckpoint(join(cpDir, name), lastMs, () => true))).ms,
    );
  }
  // A whole `?at=` answer from a checkpoint, as the monitor gives it.
  const cacheDir = join(root, "cache");
  // Checkpoints as the monitor lays them (every 16,384 lines): an answer folds up to that many.
  await foldAt(dir, at, { cacheDir });
  const laid = (await readdir(checkpointDir(cacheDir, dir))).length;
  for (let run = 0; run < RUNS; run++) {
    const travel = createTimeTravel({ catalystDir: dir, cacheDir, cached: 0 });
    const answer = await longestTurn(() => travel.snapshotAt(new Date(lastMs - 60_000 * run)));
    add("createTimeTravel.snapshotAt (whole answer from a checkpoint, sliced)", answer.ms);
    // The same fold from the same checkpoint in one go (the CLI's; the monitor's before slicing).
    add(
      "old: foldAt in one go (from a checkpoint)",
      (await longestTurn(() => foldAt(dir, new Date(lastMs - 60_000 * run), { cacheDir }))).ms,
    );
    // The same end of the fold in one go (as before issue 25's slicing): the tick and toSnapshot.
    // A copy with no view built yet (toSnapshot caches an orchestrator's view by identity).
    const fresh = importState(JSON.parse(exportStateJson(state)), { adopt: true });
    add(
      "old: final tick + toSnapshot in one go",
      (
        await longestTurn(async () => {
          toSnapshot(reduce(fresh, { kind: "tick" }, at).state, at);
        })
      ).ms,
    );
  }
  process.stdout.write(
    `${workers} workers in ${ORCHS} orchestrators (state JSON ${(stateBytes / 1e6).toFixed(1)} MB); ${laid} checkpoints; medians of ${RUNS} runs\n`,
  );
  process.stdout.write("| step | longest event-loop turn |\n|---|---|\n");
  for (const [k, v] of Object.entries(rows)) process.stdout.write(`| ${k} | ${median(v).toFixed(0)} ms |\n`);
  process.stdout.write(`${loadNote()}\n`);
} finally {
  await rm(root, { recursive: true, force: true });
}
