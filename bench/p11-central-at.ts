// Issue 25 on the central monitor: how long a central `?at=` answer and its checkpoints hold the
// event loop at ~9,600 workers (240 orchestrators of 40, one host), and how long a central
// checkpoint takes to write and read. The log is published by the real relay publisher into a real
// `nats-server -js`; the answers are `foldCentralAt` in-process (what `GET /api/snapshot?at=` on
// `catalyst-monitor --nats` runs). Beside them, from the same run: the old central checkpoint
// (v1: the whole state as one JSON text, gzip / gunzip, JSON.parse, importState). The longest turn
// is the largest gap between ticks of a 1 ms timer. Prints; the section in BENCHMARKS.md is by hand.
//
// `--slow-host 1` measures, instead, a second host whose clock runs 3 days behind (400 lines, five
// more before each question): checkpoints every 1/8 of the log, then per round the slow host's 5
// new lines and one `foldCentralAt` at the end of the log (lines folded, checkpoints removed or
// mended, stream messages read, CPU). Runs against any build of the engine (main's has no mending).
//
//   node --conditions=@catalyst/source --import tsx bench/p11-central-at.ts [--orchestrators 240] [--runs 3] [--slow-host 1]
import { appendFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gunzip, gzip } from "node:zlib";
import { foldCentralAt } from "../packages/engine/src/central-time-travel.ts";
import { readCheckpoint, saveCheckpoint } from "../packages/engine/src/time-travel.ts";
import { createInitialState, exportStateJson, importState, reduce } from "../packages/fuse/src/index.ts";
import { createRelayPublisher, readRelayEvents, readStreamPosition } from "../packages/relay/src/index.ts";
import type { LogRecord } from "../packages/schema/src/index.ts";
import { readEvents } from "../packages/sources/src/event-log.ts";
import { measureTurns, writeTimeTravelLog } from "../packages/test-utils/src/bench.ts";
import { NATS_SERVER, startNatsServer } from "../packages/test-utils/src/nats-server.ts";
import { loadNote, median, numericFlags } from "./support.ts";

const flag = numericFlags(process.argv.slice(2));
const ORCHS = flag("orchestrators", 240);
const RUNS = flag("runs", 3);
const SLOW = flag("slow-host", 0) > 0;
const WORKERS = 40;
const BASE = Date.parse("2026-03-01T00:00:00Z");

if (!NATS_SERVER) {
  process.stderr.write("p11-central-at: nats-server is not installed (apt-get install nats-server)\n");
  process.exit(2);
}

const root = await mkdtemp(join(tmpdir(), "central-at-bench-"));
const server = await startNatsServer(join(root, "store"));
try {
  const dir = join(root, "host");
  const { lastMs, lines } = await writeTimeTravelLog(dir, {
    orchestrators: ORCHS,
    workers: WORKERS,
    baseMs: BASE,
  });
  const at = new Date(lastMs);
  const names = {
    stream: "BENCH_AT",
    subjectPrefix: "benchat.events",
    bucket: "benchat-state",
    indexBucket: "benchat-index",
  };
  const publishStart = performance.now();
  const publisher = createRelayPublisher({
    servers: server.url,
    ...names,
    hostName: "bench",
    catalystDir: dir,
    stateDir: join(root, "relay-state"),
    heartbeatMs: 60_000,
    maxInFlight: 4096,
  });
  await publisher.start();
  for (;;) {
    const p = await readStreamPosition({ servers: server.url, ...names });
    if ((p?.last ?? 0) >= lines) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await publisher.idle();
  const publishMs = performance.now() - publishStart;
  if (SLOW) {
    await slowHost(server.url, names, lines, at);
    await publisher.stop();
  } else {
    // The state itself (the local fold of the same lines), for the checkpoint file alone.
    let state = createInitialState();
    let batch: LogRecord[] = [];
    for await (const r of readEvents(dir)) {
      batch.push(r);
      if (batch.length === 512) {
        state = reduce(state, { kind: "log-lines", records: batch, replayed: true }, at).state;
        batch = [];
      }
    }
    state = reduce(state, { kind: "log-lines", records: batch, replayed: true }, at).state;
    const stateBytes = exportStateJson(state).length;

    const rows: Record<string, { turn: number[]; cpu: number[]; wall: number[] }> = {};
    const add = (k: string, m: { turn: number; cpu: number; wall: number }): void => {
      rows[k] ??= { turn: [], cpu: [], wall: [] };
      rows[k].turn.push(m.turn);
      rows[k].cpu.push(m.cpu);
      rows[k].wall.push(m.wall);
    };
    const gzipAsync = promisify(gzip);
    const gunzipAsync = promisify(gunzip);
    // The file form the central store writes (checkpoint-file.ts), through the door that has it:
    // the local store's header in place of the central one (a line of ~200 bytes either way).
    const header = {
      v: 4 as const,
      dir,
      atMs: lastMs,
      files: [],
      invalid: 0,
      invalidReasons: {},
      oversized: 0,
      lines,
    };
    for (let run = 0; run < RUNS; run++) {
      let gz: Buffer = Buffer.alloc(0);
      add(
        "old central checkpoint (v1): exportStateJson + gzip (write)",
        await measureTurns(async () => {
          gz = await gzipAsync(`{"id":"x","state":${exportStateJson(state)}}`, { level: 1 });
        }),
      );
      add(
        "old central checkpoint (v1): gunzip + JSON.parse + importState (read)",
        await measureTurns(async () => {
          importState((JSON.parse((await gunzipAsync(gz)).toString("utf8")) as { state: unknown }).state, {
            adopt: true,
          });
        }),
      );
      const cpDir = join(root, `cp-${run}`);
      add("central checkpoint (v2): write", await measureTurns(() => saveCheckpoint(cpDir, header, state)));
      add(
        "central checkpoint (v2): read",
        await measureTurns(() => readCheckpoint(join(cpDir, `${lastMs}.jsonl.gz`), lastMs, () => true)),
      );
    }
    const broker = { servers: server.url, ...names };
    for (let run = 0; run < RUNS; run++) {
      add(
        "readStreamPosition (connect, two stream infos)",
        await measureTurns(() => readStreamPosition(broker)),
      );
      add(
        "readRelayEvents alone, every line (no fold)",
        await measureTurns(async () => {
          let n = 0;
          for await (const _ of readRelayEvents({ ...broker, until: new Date(lastMs + 1) })) n++;
          return n;
        }),
      );
    }
    for (let run = 0; run < RUNS; run++)
      add(
        "readRelayEvents alone, the last ~1,000 lines (no fold)",
        await measureTurns(async () => {
          let n = 0;
          for await (const _ of readRelayEvents({
            ...broker,
            since: new Date(lastMs - 1000_000),
            until: new Date(lastMs + 1),
          }))
            n++;
          return n;
        }),
      );
    add("foldCentralAt, no cache dir (every line)", await measureTurns(() => foldCentralAt(at, broker)));
    const cacheDir = join(root, "cache");
    // One checkpoint ~1,000 lines before the end; the answers below start from it.
    const laying = await measureTurns(() =>
      foldCentralAt(at, { ...broker, cacheDir, checkpointLines: lines - 1000 }),
    );
    add("foldCentralAt, first (every line, lays one checkpoint)", laying);
    for (let run = 0; run < RUNS; run++)
      add(
        "foldCentralAt from the checkpoint (check, read, ~1,000 lines, tick, snapshot)",
        await measureTurns(() =>
          foldCentralAt(new Date(lastMs - run * 1000), { ...broker, cacheDir, checkpointLines: lines }),
        ),
      );
    const workers = Object.keys(state.orchestrators).length * WORKERS;
    process.stdout.write(
      `${workers} workers in ${ORCHS} orchestrators, ${lines} lines (published in ${(publishMs / 1000).toFixed(1)} s); state JSON ${(stateBytes / 1e6).toFixed(1)} MB; medians of ${RUNS} runs (the first fold: one)\n`,
    );
    process.stdout.write(
      "| step | longest event-loop turn | most CPU in one turn | wall |\n|---|---|---|---|\n",
    );
    for (const [k, v] of Object.entries(rows))
      process.stdout.write(
        `| ${k} | ${median(v.turn).toFixed(0)} ms | ${median(v.cpu).toFixed(0)} ms | ${median(v.wall).toFixed(0)} ms |\n`,
      );
    process.stdout.write(`${loadNote()}\n`);
    await publisher.stop();
  }
} finally {
  await server.kill();
  await rm(root, { recursive: true, force: true });
}

/** The `--slow-host` rounds (see the top of this file). */
async function slowHost(
  servers: string,
  names: { stream: string; subjectPrefix: string; bucket: string; indexBucket: string },
  lines: number,
  at: Date,
): Promise<void> {
  const LAG = 3 * 24 * 3_600_000;
  const dir = join(root, "slow");
  await mkdir(join(dir, "events"), { recursive: true });
  let n = 0;
  let front = BASE - LAG;
  const append = async (count: number): Promise<void> => {
    let text = "";
    for (let i = 0; i < count; i++) {
      front += 4 * 60_000;
      const worker = `SLOW-${n % 40}`;
      text += `${JSON.stringify({ ts: new Date(front).toISOString(), orchestrator: `slow-${n % 5}`, worker, event: "worker-status-change", detail: { from: "planning", to: "implementing" } })}\n`;
      n++;
    }
    await appendFile(join(dir, "events", "2026-02.jsonl"), text);
  };
  await append(400);
  const slow = createRelayPublisher({
    servers,
    ...names,
    hostName: "slow",
    catalystDir: dir,
    stateDir: join(root, "slow-relay-state"),
    heartbeatMs: 60_000,
    maxInFlight: 4096,
  });
  await slow.start();
  const published = async (count: number): Promise<void> => {
    for (;;) {
      const p = await readStreamPosition({ servers, ...names });
      if ((p?.last ?? 0) >= count) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await slow.idle();
  };
  let total = lines + 400;
  await published(total);
  const options = {
    servers,
    ...names,
    cacheDir: join(root, "slow-cache"),
    checkpointLines: Math.ceil(lines / 8),
  };
  const first = await measureTurns(() => foldCentralAt(at, options));
  process.stdout.write(
    `${lines} lines of one host + 400 of a host 3 days slow; checkpoints every ${options.checkpointLines} lines; first fold ${first.wall.toFixed(0)} ms, ${first.value.folded} lines\n`,
  );
  process.stdout.write(
    "| round | lines folded | lines folded to mend | checkpoints removed | mended | stream messages (window + check) | CPU | longest turn | most CPU in one turn | wall |\n|---|---|---|---|---|---|---|---|---|---|\n",
  );
  const cpus: number[] = [];
  const walls: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    await append(5);
    total += 5;
    await published(total);
    const cpu0 = process.cpuUsage();
    const m = await measureTurns(() => foldCentralAt(at, options));
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    cpus.push(cpuMs);
    walls.push(m.wall);
    const stats = m.value.stats as typeof m.value.stats & { mended?: number; mendFolded?: number };
    process.stdout.write(
      `| ${run + 1} | ${m.value.folded} | ${stats.mendFolded ?? "–"} | ${stats.invalidated} | ${stats.mended ?? "–"} | ${stats.windowMessages} + ${stats.checkMessages} | ${cpuMs.toFixed(0)} ms | ${m.turn.toFixed(0)} ms | ${m.cpu.toFixed(0)} ms | ${m.wall.toFixed(0)} ms |\n`,
    );
  }
  process.stdout.write(
    `median CPU ${median(cpus).toFixed(0)} ms, wall ${median(walls).toFixed(0)} ms; ${loadNote()}\n`,
  );
  await slow.stop();
}
