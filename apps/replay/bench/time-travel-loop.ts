// Issue 25 (P4): how long a time-travel answer holds the monitor's event loop at ~9,600 workers
// (240 orchestrators of 40). Old checkpoint path (the whole state as one JSON text: stringify,
// gzip / gunzip, JSON.parse, importState) against the v4 one (JSON lines, one orchestrator at a
// time), and a whole `?at=` answer from a checkpoint (createTimeTravel). The longest turn of the
// event loop is the largest gap between ticks of a 1 ms timer (measureTurns). Usage (from apps/replay):
//   node --conditions=@catalyst/source --import tsx bench/time-travel-loop.ts [--orchestrators 240] [--runs 3]
import { mkdtemp, readdir, rm } from "node:fs/promises";
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
import { loadNote, measureTurns, writeTimeTravelLog } from "@catalyst/test-utils/bench";

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const ORCHS = arg("orchestrators", 240);
const RUNS = arg("runs", 3);
const WORKERS = 40;
const BASE = Date.parse("2026-03-01T00:00:00Z");

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const root = await mkdtemp(join(tmpdir(), "tt-loop-"));
try {
  const dir = join(root, "catalyst");
  const { lastMs } = await writeTimeTravelLog(dir, { orchestrators: ORCHS, workers: WORKERS, baseMs: BASE });
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
        await measureTurns(async () => {
          gz = await gzipAsync(exportStateJson(state), { level: 1 });
        })
      ).turn,
    );
    add(
      "old: gunzip + JSON.parse + importState (read)",
      (
        await measureTurns(async () => {
          importState(JSON.parse((await gunzipAsync(gz)).toString("utf8")), { adopt: true });
        })
      ).turn,
    );
    await rm(cpDir, { recursive: true, force: true });
    add("v4: saveCheckpoint (write)", (await measureTurns(() => saveCheckpoint(cpDir, header, state))).turn);
    const name = (await readdir(cpDir))[0]!;
    add(
      "v4: readCheckpoint (read)",
      (await measureTurns(() => readCheckpoint(join(cpDir, name), lastMs, () => true))).turn,
    );
  }
  // A whole `?at=` answer from a checkpoint, as the monitor gives it.
  const cacheDir = join(root, "cache");
  // Checkpoints as the monitor lays them (every 16,384 lines): an answer folds up to that many.
  await foldAt(dir, at, { cacheDir });
  // A log under 16,384 lines lays none (the answers below then fold from the start).
  const laid = (await readdir(checkpointDir(cacheDir, dir)).catch(() => [])).length;
  for (let run = 0; run < RUNS; run++) {
    const travel = createTimeTravel({ catalystDir: dir, cacheDir, cached: 0 });
    const answer = await measureTurns(() => travel.snapshotAt(new Date(lastMs - 60_000 * run)));
    add("createTimeTravel.snapshotAt (whole answer from a checkpoint, sliced)", answer.turn);
    // The same fold from the same checkpoint as the CLI asks it (the snapshot in one go).
    add(
      "foldAt as the CLI calls it (from a checkpoint, snapshot in one go)",
      (await measureTurns(() => foldAt(dir, new Date(lastMs - 60_000 * run), { cacheDir }))).turn,
    );
    // The same end of the fold in one go (as before issue 25's slicing): the tick and toSnapshot.
    // A copy with no view built yet (toSnapshot caches an orchestrator's view by identity).
    const fresh = importState(JSON.parse(exportStateJson(state)), { adopt: true });
    add(
      "old: final tick + toSnapshot in one go",
      (
        await measureTurns(async () => {
          toSnapshot(reduce(fresh, { kind: "tick" }, at).state, at);
        })
      ).turn,
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
