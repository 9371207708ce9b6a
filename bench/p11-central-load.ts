// P11 part: the central monitor's first load of the broker's KV, in-process, without the host
// simulator (issue 28). One real relay publisher writes one host's catalyst dir (P11's signal
// files, 20 workers per orchestrator) into a template bucket; its values are copied under `--hosts`
// host names into the state bucket, then one pid answer per worker after them (as a host's poller
// relays them once its files are out). Each run starts a central engine (a durable of its own)
// and times start() → every worker with its answer in the snapshot, no `loading`; with the CPU
// time of this process, the worker deltas fuse sent (one per worker when each is built once) and
// the heap after. Module load and the HTTP server are not in it (bench/p11-central.ts has them).
//
//   node --conditions=@catalyst/source --expose-gc --import tsx bench/p11-central-load.ts [--hosts 25] [--workers 2000] [--runs 3]
//        [--cpu-prof <dir>] (a CPU profile of each run's start())
//        [--bin] (the built catalyst-monitor --nats, spawned: module load and /api/snapshot included)
//        [--node-flag <flag>]... (with --bin: node flags for every second run)
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createCentralEngine } from "../packages/engine/src/central-index.ts";
import { createRelayPublisher, openBroker, resolveNames } from "../packages/relay/src/index.ts";
import type { Delta } from "../packages/schema/src/index.ts";
import { startListening } from "../packages/test-utils/src/bench.ts";
import { startNatsServer } from "../packages/test-utils/src/nats-server.ts";
import { getText } from "./p7-scale.ts";
import { ROOT } from "./support.ts";

const { values } = parseArgs({
  options: {
    hosts: { type: "string" },
    workers: { type: "string" },
    runs: { type: "string" },
    "cpu-prof": { type: "string" },
    bin: { type: "boolean" },
    "node-flag": { type: "string", multiple: true },
  },
});
const HOSTS = Number(values.hosts ?? 25);
const WORKERS = Number(values.workers ?? 2000);
const RUNS = Number(values.runs ?? 3);
/** A dir for a CPU profile of each run's start() (`--cpu-prof <dir>`). */
const PROFILE = values["cpu-prof"];
/** Spawn the built `catalyst-monitor --nats` (module load and HTTP included, as P11 measures) instead. */
const BIN = values.bin === true;
const PER_ORCHESTRATOR = 20;
const orchOf = (i: number) => `orch-p11-${String(Math.floor(i / PER_ORCHESTRATOR)).padStart(4, "0")}`;
const ticketOf = (i: number) => `P11-${String(i).padStart(5, "0")}`;
const hostName = (h: number) => `h${String(h).padStart(2, "0")}`;
const TEMPLATE = "tpl";

const root = await mkdtemp(join(tmpdir(), "p11-central-load-"));
const server = await startNatsServer(join(root, "nats"));
const loadNote = () =>
  `load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(", ")}`;
const startLoad = loadNote();
try {
  // One host's values as its real publisher writes them.
  const dir = join(root, "catalyst");
  const startedAt = new Date().toISOString();
  for (let i = 0; i < WORKERS; i++) {
    const workers = join(dir, "runs", orchOf(i), "workers");
    if (i % PER_ORCHESTRATOR === 0) await mkdir(workers, { recursive: true });
    await writeFile(
      join(workers, `${ticketOf(i)}.json`),
      `${JSON.stringify({
        ticket: ticketOf(i),
        orchestrator: orchOf(i),
        status: "implementing",
        phase: 3,
        startedAt,
        updatedAt: startedAt,
        pr: null,
        pid: 100_000 + i,
        error: null,
      })}\n`,
    );
  }
  const templateNames = { bucket: "p11-template" };
  const publisher = createRelayPublisher({
    servers: server.url,
    hostName: TEMPLATE,
    catalystDir: dir,
    stateDir: join(root, "state"),
    ...templateNames,
  });
  await publisher.start();
  const b = await openBroker({ servers: server.url }, resolveNames({}));
  const tb = await openBroker({ servers: server.url }, resolveNames(templateNames));
  const expected = WORKERS + WORKERS / PER_ORCHESTRATOR;
  for (let waited = 0; ; waited += 100) {
    const info = await tb.jsm.streams.info("KV_p11-template");
    if (info.state.messages >= expected) break;
    if (waited > 120_000) throw new Error(`the template has ${info.state.messages} of ${expected} values`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await publisher.stop();
  const template: Array<{ key: string; data: Uint8Array }> = [];
  {
    const keys = (await tb.jsm.streams.info("KV_p11-template")).state.messages;
    const watch = await tb.kv.watch({ key: ">" });
    let n = 0;
    for await (const e of watch) {
      if (!e.key.endsWith(".=host")) template.push({ key: e.key, data: e.value });
      if (++n >= keys) break;
    }
    watch.stop();
  }
  // Every host's files, then every host's answers (as the hosts' pollers relay them after).
  const t0 = Date.now();
  const puts: Promise<unknown>[] = [];
  const flush = async (force = false) => {
    if (puts.length >= 1000 || (force && puts.length > 0)) await Promise.all(puts.splice(0));
  };
  for (let h = 0; h < HOSTS; h++) {
    // Host names, orchestrator ids and tickets here need no escape in a key: written as they are.
    const host = hostName(h);
    for (const { key, data } of template) {
      puts.push(b.kv.put(`${host}${key.slice(TEMPLATE.length)}`, data));
      await flush();
    }
  }
  for (let h = 0; h < HOSTS; h++)
    for (let i = 0; i < WORKERS; i++) {
      const result = { pid: 100_000 + i, alive: true, reason: "alive", checkedAt: new Date().toISOString() };
      const value = {
        host: hostName(h),
        kind: "liveness",
        orchestrator: orchOf(i),
        worker: ticketOf(i),
        result,
      };
      puts.push(b.kv.put(`${hostName(h)}.${orchOf(i)}.=live.${ticketOf(i)}`, JSON.stringify(value)));
      await flush();
    }
  await flush(true);
  const total = HOSTS * WORKERS;
  console.log(
    `filled ${HOSTS} hosts × ${WORKERS} workers: ${HOSTS * template.length} file values and ${total} answers in ${Date.now() - t0} ms`,
  );
  await b.nc.close();
  await tb.nc.close();

  for (let r = 0; r < RUNS && BIN; r++) {
    const prof = PROFILE === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", PROFILE];
    // Every other run with the `--node-flag`s given (e.g. a V8 heap flag), to compare in one fill.
    const flags = r % 2 === 1 ? (values["node-flag"] ?? []) : [];
    const t = performance.now();
    const central = await startListening(
      [
        ...flags,
        ...prof,
        join(ROOT, "apps/monitor/dist/bin.js"),
        "--nats",
        server.url,
        "--port",
        "0",
        "--history",
        "0",
      ],
      { timeoutMs: 300_000 },
    );
    const listening = performance.now() - t;
    let ms = Number.NaN;
    let polls = 0;
    for (const deadline = Date.now() + 300_000; Date.now() < deadline; ) {
      const res = await getText(`${central.url}api/snapshot`);
      polls++;
      if (!res.text.includes('"loading":{') && res.text.split('"alive":true').length - 1 >= total) {
        ms = performance.now() - t;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // The central's own CPU time to there (utime + stime, in clock ticks of 10 ms): on a loaded box
    // a steadier figure than the wall time.
    const stat = (await readFile(`/proc/${central.child.pid}/stat`, "utf8")).split(") ")[1]!.split(" ");
    const cpuMs = (Number(stat[11]) + Number(stat[12])) * 10;
    const rss = Number(
      /VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${central.child.pid}/status`, "utf8"))?.[1] ?? Number.NaN,
    );
    console.log(
      `bin run ${r + 1}${flags.length > 0 ? ` (${flags.join(" ")})` : ""}: cold start ${ms.toFixed(0)} ms (CPU ${cpuMs} ms; listening after ${listening.toFixed(0)} ms, ${polls} polls), RSS ${(rss / 1024).toFixed(0)} MB; ${loadNote()}`,
    );
    await central.stop();
  }
  for (let r = 0; r < RUNS && !BIN; r++) {
    (globalThis as { gc?: () => void }).gc?.();
    const central = createCentralEngine({
      servers: server.url,
      githubToken: null,
      historyMs: 0,
      durable: `bench-${r}`,
    });
    let workerDeltas = 0;
    let deltas = 0;
    central.feed.subscribe((batch: Delta[]) => {
      deltas += batch.length;
      for (const d of batch) if (d.event === "worker-update" || d.event === "liveness-change") workerDeltas++;
    });
    const profiler = PROFILE === undefined ? null : new Session();
    if (profiler !== null) {
      profiler.connect();
      await profiler.post("Profiler.enable");
      await profiler.post("Profiler.start");
    }
    const cpu0 = process.cpuUsage();
    const t = performance.now();
    await central.start();
    const snap = central.snapshot();
    const ms = performance.now() - t;
    const cpu = process.cpuUsage(cpu0);
    if (profiler !== null && PROFILE !== undefined) {
      const { profile } = await profiler.post("Profiler.stop");
      await mkdir(PROFILE, { recursive: true });
      await writeFile(join(PROFILE, `run-${r + 1}.cpuprofile`), JSON.stringify(profile));
      profiler.disconnect();
    }
    let answered = 0;
    let workers = 0;
    for (const o of snap.orchestrators)
      for (const w of Object.values(o.workers)) {
        workers++;
        if (w.alive === true) answered++;
      }
    const heapMB = process.memoryUsage().heapUsed / 1024 / 1024;
    const row = `run ${r + 1}: ${ms.toFixed(0)} ms (CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms), ${workers} workers, ${answered} alive, loading ${snap.loading === undefined ? "none" : "yes"}, ${workerDeltas} worker deltas (${deltas} deltas), heap ${heapMB.toFixed(0)} MB; ${loadNote()}`;
    console.log(row);
    if (workers !== total || answered !== total) console.log(`  INCOMPLETE: expected ${total}`);
    await central.stop();
  }
  console.log(`load at start: ${startLoad}`);
} finally {
  await server.kill();
  await rm(root, { recursive: true, force: true });
}
