// P12: SSE fan-out to 1k–10k clients (issue 26). A fleet of signal files under the built monitor
// (or `--source`) and, as the floor, `p7-floor.mjs` (fs.watch → node:http, one string per client);
// N real SSE clients over real sockets in `--procs` child processes (`p12-clients.mjs`); signal
// writes (tmp + rename) at `--rate`/s, each stamped with its write time, timed at every client.
// Per size and server: p50/p99/max write → frame over every client, frames lost, server RSS idle
// and peak, server CPU, and the kernel's cost per connection (`ss -tm` of the server's sockets,
// /proc/net/sockstat).
//
//   node --import tsx bench/p12-fan-out.ts [--sizes 1000,5000,10000] [--runs 3] [--seconds 8]
//        [--rate 50] [--workers 200] [--procs 2] [--floor-sizes 1000] [--source] [--prof dir] [--trace]
//        [--compare main=/path/to/other/apps/monitor/dist/bin.js]
// Rewrites its own BENCHMARKS.md section unless --no-write; `pnpm bench --only p12` runs it too
// (flags `--p12-sizes` etc.). About 15 minutes at the defaults on a loaded 2-core box.
import { type ChildProcessByStdio, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { getText, orchOf, signalText, ticketOf, writeFleet } from "./p7-scale.ts";
import {
  fmtMs,
  load,
  loadNote,
  MONITOR_FROM_SOURCE,
  machine,
  median,
  memoryOf,
  ROOT,
  sleep,
  startListening,
  writeSection,
} from "./support.ts";

export interface P12Shape {
  sizes: number[];
  floorSizes: number[];
  runs: number;
  seconds: number;
  rate: number;
  workers: number;
  procs: number;
  source: boolean;
  prof: string | null;
  /**
   * Record the monitor's stage trace (CATALYST_MONITOR_TRACE) and report, per write, when the
   * server handed the frame to the kernel for its first and its last client (the server's share
   * of the latency, without the clients' processes).
   */
  trace?: boolean;
  /** Other monitor bins measured in the same run (`--compare label=path/to/dist/bin.js`). */
  compare: Map<string, string>;
  /**
   * Another client script for every other client process (`--clients-compare path.mjs`, same
   * arguments and report): the clients' own CPU compared on the same server, frames and load.
   */
  clientsCompare?: string | null;
}

export interface P12Run {
  clients: number;
  /** "monitor" (this tree), "floor", or the label of a `--compare` bin. */
  server: string;
  p50: number;
  p99: number;
  max: number;
  /** Client × write pairs that never arrived (a client closed by the server loses the rest). */
  lost: number;
  closedByServer: number;
  /** Socket errors the clients saw, by code (ECONNRESET, ECONNREFUSED, ...), and reconnects made. */
  errors: Record<string, number>;
  reconnects: number;
  idleRssMB: number;
  peakRssMB: number;
  rssAtStartMB: number;
  cpuSeconds: number;
  /**
   * CPU of the bench's own client processes over the same stretch: they share the cores with the
   * server, so when it is near the server's, the clients are a large part of what is measured.
   */
  clientCpuSeconds?: number;
  /** The kernel (system) part of `cpuSeconds` and of `clientCpuSeconds`. */
  cpuSysSeconds?: number;
  clientCpuSysSeconds?: number;
  /**
   * With `--trace`: write → the frame handed to the kernel for the first clients (the first flush
   * slice after it) and for every client, p50 and p99 over the writes (see `serverSide`).
   */
  serverShare?: {
    firstP50: number;
    firstP99: number;
    lastP50: number;
    lastP99: number;
    writes: number;
    unmatched: number;
  };
  /** Kernel memory of the server's sockets (ss skmem: rmem + wmem queued + forward alloc), per connection, during the writes. */
  kernelBytesPerConn: number;
  /** Send buffer size (ss skmem tb) of a server socket: what one stalled client may pin in the kernel. */
  sndbuf: number;
  /** /proc/net/sockstat TCP mem (pages, both ends, whole box) with the clients connected minus before. */
  sockstatDeltaKB: number;
  /** Slab memory of TCP sockets, inodes, files, epoll entries (/proc/slabinfo, both ends, whole box) with the clients connected minus before. */
  slabDeltaKB: number;
  loopMaxMs: number | null;
  /**
   * The kernel's `TcpExt` ListenOverflows and ListenDrops (/proc/net/netstat, the whole box) over
   * the connect storm: handshakes dropped because the accept queue was full.
   */
  listenOverflows: number;
  listenDrops: number;
  /**
   * The connect storm: wall time from starting the clients to every client holding its snapshot,
   * and the server's CPU over it (per connection: accept, request, headers, the snapshot's send).
   */
  connectSeconds?: number;
  connectCpuSeconds?: number;
}

const argOf = (argv: readonly string[], name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
};

/** The flags, each `--<prefix><name>` (run-all passes the prefix `p12-`). */
export function parseP12Args(argv: readonly string[], prefix = ""): P12Shape {
  const list = (s: string) => s.split(",").filter(Boolean).map(Number);
  const arg = (name: string, fallback: string) => argOf(argv, `${prefix}${name}`, fallback);
  return {
    sizes: list(arg("sizes", "1000,5000,10000")),
    floorSizes: list(arg("floor-sizes", "1000")),
    runs: Number(arg("runs", "3")),
    seconds: Number(arg("seconds", "8")),
    rate: Number(arg("rate", "50")),
    workers: Number(arg("workers", "200")),
    procs: Number(arg("procs", "2")),
    source: argv.includes(`--${prefix}source`),
    prof: argv.includes(`--${prefix}prof`) ? arg("prof", "/tmp/p12-prof") : null,
    trace: argv.includes(`--${prefix}trace`),
    clientsCompare: argv.includes(`--${prefix}clients-compare`) ? arg("clients-compare", "") || null : null,
    compare: new Map(
      argv
        .flatMap((a, i) => (a === `--${prefix}compare` && argv[i + 1] !== undefined ? [argv[i + 1]!] : []))
        .map(
          (spec) => [spec.slice(0, spec.indexOf("=")), spec.slice(spec.indexOf("=") + 1)] as [string, string],
        ),
    ),
  };
}

interface ClientProc {
  child: ChildProcessByStdio<Writable, Readable, null>;
  until(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  reset(): void;
}

function spawnClients(
  url: string,
  count: number,
  minSeq: number,
  writes: number,
  profArgs: string[] = [],
  script = join(ROOT, "bench", "p12-clients.mjs"),
): ClientProc {
  // The soft fd limit must cover `count` sockets; raise it to the hard limit in the child's shell.
  const child = spawn(
    "sh",
    [
      "-c",
      `ulimit -n $(ulimit -Hn) 2>/dev/null; exec "$0" "$@"`,
      process.execPath,
      ...profArgs,
      script,
      url,
      String(count),
      String(minSeq),
      String(writes),
    ],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  let out = "";
  const waiters: Array<() => void> = [];
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (d: string) => {
    out += d;
    for (const w of waiters.splice(0)) w();
  });
  return {
    child,
    reset: () => {
      out = "";
    },
    until: (pattern, timeoutMs) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`clients: no ${pattern} in ${timeoutMs} ms`)),
          timeoutMs,
        );
        const check = (): void => {
          const m = pattern.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m);
          } else waiters.push(check);
        };
        check();
      }),
  };
}

interface Report {
  received: number;
  closed: number;
  reconnects: number;
  errors: Record<string, number>;
  maxMs: number;
  buckets: Array<[number, number]>;
}

const bucketMs = (i: number) => (i < 1000 ? (i + 0.5) / 10 : i < 10_900 ? 100 + (i - 1000) + 0.5 : 10_000);

function percentileOf(reports: Report[], p: number): number {
  const merged = new Map<number, number>();
  let total = 0;
  for (const r of reports)
    for (const [i, n] of r.buckets) {
      merged.set(i, (merged.get(i) ?? 0) + n);
      total += n;
    }
  if (total === 0) return Number.NaN;
  const want = Math.ceil((p / 100) * total);
  let seen = 0;
  for (const i of [...merged.keys()].sort((a, b) => a - b)) {
    seen += merged.get(i)!;
    if (seen >= want) return bucketMs(i);
  }
  return Number.NaN;
}

function cpuOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The system (kernel) part of `cpuOf`: a process's system calls (sends, reads, epoll). */
function sysOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(fields[12]) / 100;
}

// The kernel's objects of a TCP connection (socket, inode, file, epoll entry, skb heads): bytes in use.
const SLABS = new Set([
  "TCP",
  "TCPv6",
  "sock_inode_cache",
  "filp",
  "dentry",
  "eventpoll_epi",
  "eventpoll_pwq",
  "skbuff_head_cache",
]);
function slabBytes(): number {
  try {
    let bytes = 0;
    for (const line of readFileSync("/proc/slabinfo", "utf8").split("\n")) {
      const f = line.split(/\s+/);
      if (SLABS.has(f[0]!)) bytes += Number(f[1]) * Number(f[3]);
    }
    return bytes;
  } catch {
    return Number.NaN;
  }
}

/** `TcpExt: ListenOverflows` and `ListenDrops` from /proc/net/netstat (NaN when unreadable). */
function listenCounters(): { overflows: number; drops: number } {
  try {
    const lines = readFileSync("/proc/net/netstat", "utf8").split("\n");
    const head = lines.findIndex((l) => l.startsWith("TcpExt:"));
    const names = lines[head]!.split(/\s+/);
    const values = lines[head + 1]!.split(/\s+/);
    const of = (name: string) => Number(values[names.indexOf(name)]);
    return { overflows: of("ListenOverflows"), drops: of("ListenDrops") };
  } catch {
    return { overflows: Number.NaN, drops: Number.NaN };
  }
}

function sockstatTcpPages(): number {
  const m = /TCP: .* mem (\d+)/.exec(readFileSync("/proc/net/sockstat", "utf8"));
  return m ? Number(m[1]) : Number.NaN;
}

/** skmem of the server's established sockets on `port` (ss), summed. */
function socketMemory(port: number): Promise<{ sockets: number; bytes: number; sndbuf: number }> {
  return new Promise((resolve) => {
    const ss = spawn("ss", ["-tmnH", "state", "established", `( sport = :${port} )`]);
    let out = "";
    ss.stdout.setEncoding("utf8");
    ss.stdout.on("data", (d: string) => {
      out += d;
    });
    ss.on("error", () => resolve({ sockets: 0, bytes: Number.NaN, sndbuf: Number.NaN }));
    ss.on("close", () => {
      let sockets = 0;
      let bytes = 0;
      let sndbuf = 0;
      for (const m of out.matchAll(/skmem:\(r(\d+),rb(\d+),t(\d+),tb(\d+),f(\d+),w(\d+)/g)) {
        sockets += 1;
        bytes += Number(m[1]) + Number(m[5]) + Number(m[6]);
        sndbuf = Math.max(sndbuf, Number(m[4]));
      }
      resolve({ sockets, bytes, sndbuf });
    });
  });
}

let nextSeq = 0;

async function writeSignal(
  dir: string,
  worker: number,
  seq: number,
  stamps?: Array<{ at: number; path: string }>,
): Promise<void> {
  const path = join(dir, "runs", orchOf(worker), "workers", `${ticketOf(worker)}.json`);
  await writeFile(`${path}.${seq}.tmp`, "");
  const stamp = performance.timeOrigin + performance.now();
  stamps?.push({ at: stamp, path });
  const text = signalText(
    worker,
    seq % 2 === 0 ? "validating" : "implementing",
    `seq-${seq}@${stamp.toFixed(3)}`,
    new Date().toISOString(),
  );
  await writeFile(`${path}.${seq}.tmp`, text);
  await rename(`${path}.${seq}.tmp`, path);
}

/**
 * The server's share of each write's latency, from its stage trace: the write's stamp → the first
 * read of its file after it → the hub, which queues the frame to every client → the flush slices
 * after it: the first one's end (its first clients handed the frame) and the end of the slice by
 * which as many client writes as there are clients were made (every client handed it: a client
 * is queued at most once at a time, so each of them is written once within those).
 */
function serverSide(
  stamps: ReadonlyArray<{ at: number; path: string }>,
  tracePath: string,
  clients: number,
): P12Run["serverShare"] {
  const lines = readFileSync(tracePath, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as { t: number; stage: string; key?: string; n?: number });
  const readsOf = new Map<string, number[]>();
  const hubs: number[] = [];
  const slices: Array<{ start: number; end: number; n: number }> = [];
  let open: { start: number; end: number; n: number } | null = null;
  for (const l of lines) {
    if (l.stage === "read" && l.key !== undefined) {
      const list = readsOf.get(l.key) ?? [];
      list.push(l.t);
      readsOf.set(l.key, list);
    } else if (l.stage === "hub") hubs.push(l.t);
    else if (l.stage === "flush") open = { start: l.t, end: l.t, n: l.n ?? 0 };
    else if (l.stage === "flush-end" && open !== null) {
      open.end = l.t;
      slices.push(open);
      open = null;
    }
  }
  const firstAfter = <T>(list: readonly T[], ok: (x: T) => boolean) => list.findIndex(ok);
  const firsts: number[] = [];
  const lasts: number[] = [];
  let unmatched = 0;
  for (const [k, { at, path }] of stamps.entries()) {
    const reads = readsOf.get(path) ?? [];
    // Its read comes before the next write of the same file, or it was folded into that one's.
    const next = stamps.slice(k + 1).find((s) => s.path === path)?.at ?? Number.POSITIVE_INFINITY;
    const read = reads[firstAfter(reads, (t) => t >= at)];
    if (read === undefined || read >= next) {
      unmatched += 1;
      continue;
    }
    const hub = read === undefined ? undefined : hubs[firstAfter(hubs, (t) => t >= read)];
    if (hub === undefined) {
      unmatched += 1;
      continue;
    }
    let i = firstAfter(slices, (x) => x.start >= hub);
    if (i < 0) continue;
    firsts.push(slices[i]!.end - at);
    for (let written = slices[i]!.n; written < clients && i + 1 < slices.length; ) written += slices[++i]!.n;
    lasts.push(slices[i]!.end - at);
  }
  if (lasts.length === 0) return undefined;
  const pct = (xs: number[], p: number) =>
    xs.sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
  return {
    firstP50: pct(firsts, 50),
    firstP99: pct(firsts, 99),
    lastP50: pct(lasts, 50),
    lastP99: pct(lasts, 99),
    writes: lasts.length,
    unmatched,
  };
}

async function measure(
  kind: string,
  dir: string,
  clients: number,
  shape: P12Shape,
  run: number,
): Promise<P12Run> {
  const sockstatBefore = sockstatTcpPages();
  const slabBefore = slabBytes();
  const profArgs =
    shape.prof !== null && kind !== "floor"
      ? ["--cpu-prof", `--cpu-prof-dir=${shape.prof}`, `--cpu-prof-name=monitor-${clients}-${run}.cpuprofile`]
      : [];
  const args =
    kind === "floor"
      ? [join(ROOT, "bench", "p7-floor.mjs"), dir]
      : kind !== "monitor"
        ? [...profArgs, shape.compare.get(kind)!, "--dir", dir, "--port", "0"]
        : shape.source
          ? [...profArgs, ...MONITOR_FROM_SOURCE, "--dir", dir, "--port", "0"]
          : [...profArgs, join(ROOT, "apps/monitor/dist/bin.js"), "--dir", dir, "--port", "0"];
  const tracePath =
    shape.trace === true && kind !== "floor"
      ? join(dir, "..", `p12-trace-${process.pid}-${run}.jsonl`)
      : null;
  const stamps: Array<{ at: number; path: string }> = [];
  const server = await startListening(args, {
    timeoutMs: 120_000,
    env: tracePath === null ? {} : { CATALYST_MONITOR_TRACE: tracePath },
  });
  let serverShare: P12Run["serverShare"] | undefined;
  const pid = server.child.pid!;
  const port = Number(new URL(server.url).port);
  // A full snapshot first, so every client connects to the same settled state.
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(50)) {
    const res = await getText(`${server.url}api/snapshot`);
    if (kind === "floor" || !res.text.includes('"loading":{')) break;
  }
  const rssAtStart = memoryOf(pid)?.rss ?? Number.NaN;
  const listenBefore = listenCounters();
  const connectCpuBefore = cpuOf(pid);
  const connectStarted = performance.now();
  const minSeq = nextSeq;
  const per = Math.ceil(clients / shape.procs);
  const procs: ClientProc[] = [];
  // With --prof the clients are profiled too (`clients-<kind>-<n>-<run>-<proc>.cpuprofile`): their
  // share of the shared cores, split into the kernel's reads and their own JavaScript.
  for (let left = clients; left > 0; left -= per) {
    const clientProf =
      shape.prof === null
        ? []
        : [
            "--cpu-prof",
            `--cpu-prof-dir=${shape.prof}`,
            `--cpu-prof-name=clients-${kind.replace(/[^\w.-]/g, "_")}-${clients}-${run}-${procs.length}.cpuprofile`,
          ];
    procs.push(
      spawnClients(
        `${server.url}events`,
        Math.min(per, left),
        minSeq,
        shape.rate * shape.seconds,
        clientProf,
      ),
    );
  }
  try {
    await Promise.all(procs.map((p) => p.until(/ready\n/, 180_000)));
    const connectSeconds = (performance.now() - connectStarted) / 1000;
    const connectCpuSeconds = cpuOf(pid) - connectCpuBefore;
    await sleep(1000);
    const listenAfter = listenCounters();
    const idle = memoryOf(pid);
    const sockstatConnected = sockstatTcpPages();
    const slabConnected = slabBytes();
    const cpuBefore = cpuOf(pid);
    const clientCpuBefore = procs.reduce((sum, p) => sum + cpuOf(p.child.pid!), 0);
    const perProcBefore = procs.map((p) => [cpuOf(p.child.pid!), sysOf(p.child.pid!)] as const);
    const sysBefore = sysOf(pid);
    const clientSysBefore = procs.reduce((sum, p) => sum + sysOf(p.child.pid!), 0);
    const writes = shape.rate * shape.seconds;
    const started = performance.now();
    const finals = new Map<number, number>();
    let kernel = { sockets: 0, bytes: Number.NaN, sndbuf: Number.NaN };
    const stride = 7919;
    for (let k = 0; k < writes; k++) {
      const due = started + (k / shape.rate) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const seq = nextSeq++;
      const worker = (k * stride) % shape.workers;
      finals.set(worker, seq);
      await writeSignal(dir, worker, seq, stamps);
      if (k === Math.floor(writes / 2)) kernel = await socketMemory(port);
    }
    // Settle: every client has every write, or nothing new arrived for 3 s, or 20 s.
    const expected = writes * clients;
    let reports: Report[] = [];
    let progress = { got: -1, at: Date.now() };
    for (const settle = Date.now() + 20_000; ; await sleep(250)) {
      reports = [];
      for (const p of procs) {
        p.reset();
        p.child.stdin.write("report\n");
        reports.push(JSON.parse((await p.until(/^\{.*\}\n/m, 30_000))[0]) as Report);
      }
      const got = reports.reduce((s, r) => s + r.received, 0);
      if (got !== progress.got) progress = { got, at: Date.now() };
      if (got >= expected || Date.now() > settle || Date.now() - progress.at > 3000) break;
    }
    const cpuAfter = cpuOf(pid);
    const clientCpuAfter = procs.reduce((sum, p) => sum + cpuOf(p.child.pid!), 0);
    if (shape.clientsCompare)
      console.log(
        `P12 ${kind} ${clients} clients (run ${run + 1}), CPU per client process (cpu s / kernel s): ${procs
          .map((p, i) => {
            const [cpu, sys] = perProcBefore[i]!;
            const label = i % 2 === 1 ? "compared" : "p12-clients.mjs";
            return `${label} ${(cpuOf(p.child.pid!) - cpu).toFixed(2)} / ${(sysOf(p.child.pid!) - sys).toFixed(2)}`;
          })
          .join(", ")}`,
      );
    const sysAfter = sysOf(pid);
    const clientSysAfter = procs.reduce((sum, p) => sum + sysOf(p.child.pid!), 0);
    const mem = memoryOf(pid);
    let loopMaxMs: number | null = null;
    if (kind !== "floor") {
      const health = JSON.parse((await getText(`${server.url}healthz`)).text) as {
        eventLoopDelayMs?: { max: number };
      };
      loopMaxMs = health.eventLoopDelayMs?.max ?? null;
    }
    const received = reports.reduce((s, r) => s + r.received, 0);
    if (tracePath !== null) {
      await server.stop();
      serverShare = serverSide(stamps, tracePath, clients);
      await rm(tracePath, { force: true });
    }
    return {
      clients,
      server: kind,
      p50: percentileOf(reports, 50),
      p99: percentileOf(reports, 99),
      max: Math.max(...reports.map((r) => r.maxMs)),
      lost: expected - received,
      closedByServer: reports.reduce((s, r) => s + r.closed, 0),
      errors: reports.reduce<Record<string, number>>((all, r) => {
        for (const [code, n] of Object.entries(r.errors ?? {})) all[code] = (all[code] ?? 0) + n;
        return all;
      }, {}),
      reconnects: reports.reduce((s, r) => s + (r.reconnects ?? 0), 0),
      rssAtStartMB: rssAtStart / 1e6,
      idleRssMB: (idle?.rss ?? Number.NaN) / 1e6,
      peakRssMB: (mem?.peak ?? Number.NaN) / 1e6,
      cpuSeconds: cpuAfter - cpuBefore,
      clientCpuSeconds: clientCpuAfter - clientCpuBefore,
      cpuSysSeconds: sysAfter - sysBefore,
      clientCpuSysSeconds: clientSysAfter - clientSysBefore,
      kernelBytesPerConn: kernel.sockets > 0 ? kernel.bytes / kernel.sockets : Number.NaN,
      sndbuf: kernel.sndbuf,
      sockstatDeltaKB: ((sockstatConnected - sockstatBefore) * 4096) / 1024,
      slabDeltaKB: (slabConnected - slabBefore) / 1024,
      loopMaxMs,
      listenOverflows: listenAfter.overflows - listenBefore.overflows,
      listenDrops: listenAfter.drops - listenBefore.drops,
      connectSeconds,
      connectCpuSeconds,
      ...(serverShare === undefined ? {} : { serverShare }),
    };
  } finally {
    for (const p of procs) p.child.stdin.end();
    await Promise.all(
      procs.map((p) => (p.child.exitCode === null ? new Promise((r) => p.child.once("exit", r)) : null)),
    );
    await server.stop();
  }
}

export async function runP12(shape: P12Shape): Promise<P12Run[]> {
  if (!shape.source && !existsSync(join(ROOT, "apps/monitor/dist/bin.js")))
    throw new Error(
      "apps/monitor/dist/bin.js is missing: run `pnpm --filter catalyst-monitor build` or pass --source",
    );
  const dir = await mkdtemp(join(tmpdir(), "bench-p12-"));
  const runs: P12Run[] = [];
  try {
    await writeFleet(dir, shape.workers);
    for (const clients of shape.sizes) {
      for (let r = 0; r < shape.runs; r++) {
        const kinds = [
          "monitor",
          ...shape.compare.keys(),
          ...(shape.floorSizes.includes(clients) ? ["floor"] : []),
        ];
        for (const kind of kinds) {
          const run = await measure(kind, dir, clients, shape, r);
          console.log(
            `P12 ${kind} ${clients} clients (run ${r + 1}): p50 ${fmtMs(run.p50)} p99 ${fmtMs(run.p99)} max ${fmtMs(run.max)} ms, lost ${run.lost}, closed ${run.closedByServer} (errors ${JSON.stringify(run.errors)}, reconnects ${run.reconnects}), RSS start ${run.rssAtStartMB.toFixed(0)} idle ${run.idleRssMB.toFixed(0)} peak ${run.peakRssMB.toFixed(0)} MB, CPU ${run.cpuSeconds.toFixed(1)} s, ${run.cpuSysSeconds?.toFixed(1) ?? "–"} s of it kernel (clients ${run.clientCpuSeconds?.toFixed(1) ?? "–"} s, ${run.clientCpuSysSeconds?.toFixed(1) ?? "–"} s kernel), kernel ${(run.kernelBytesPerConn / 1024).toFixed(1)} KiB/conn (sndbuf ${run.sndbuf}), sockstat +${run.sockstatDeltaKB.toFixed(0)} KiB, slab +${(run.slabDeltaKB / 1024).toFixed(1)} MiB, loop max ${run.loopMaxMs ?? "–"} ms, listen overflows ${run.listenOverflows} drops ${run.listenDrops}, connect ${run.connectSeconds?.toFixed(1) ?? "–"} s (server CPU ${run.connectCpuSeconds === undefined ? "–" : ((run.connectCpuSeconds * 1e6) / run.clients).toFixed(0)} µs per client)${run.serverShare === undefined ? "" : `, server: write → first clients handed the frame p50 ${fmtMs(run.serverShare.firstP50)} p99 ${fmtMs(run.serverShare.firstP99)}, → every client p50 ${fmtMs(run.serverShare.lastP50)} p99 ${fmtMs(run.serverShare.lastP99)} ms (${run.serverShare.writes} writes matched, ${run.serverShare.unmatched} not)`}; load ${load()}`,
          );
          runs.push(run);
        }
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return runs;
}

export const P12_HEADING = "System P12: SSE fan-out to 1k–10k clients";

export function p12Section(
  runs: P12Run[],
  shape: P12Shape,
  runAt: Date,
  loadBefore: string,
  loadAfter: string,
  note: string,
): string {
  const groups = new Map<string, P12Run[]>();
  for (const r of runs) {
    const key = `${r.server} ${r.clients}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const rows = [...groups.values()].map((g) => {
    const m = (pick: (r: P12Run) => number) => median(g.map(pick));
    const kib = (b: number) => (Number.isNaN(b) ? "–" : (b / 1024).toFixed(1));
    const name = g[0]!.server;
    // The clients' histogram ends at 10 s: a percentile in its last bucket is "≥ 10 s".
    const pct = (v: number) => (v >= 10_000 ? "≥ 10 s" : fmtMs(v));
    return `| ${name === "monitor" ? "catalyst-monitor" : name === "floor" ? "floor (p7-floor.mjs)" : `catalyst-monitor at ${name}`} | ${g[0]!.clients} | ${pct(m((r) => r.p50))} | ${pct(m((r) => r.p99))} | ${fmtMs(m((r) => r.max))} | ${m((r) => r.lost)} | ${m((r) => r.idleRssMB).toFixed(0)} | ${m((r) => r.peakRssMB).toFixed(0)} | ${(((m((r) => r.idleRssMB) - m((r) => r.rssAtStartMB)) * 1e6) / g[0]!.clients / 1024).toFixed(1)} | ${m((r) => r.cpuSeconds).toFixed(1)} | ${m((r) => (r.cpuSeconds * 1e6) / Math.max(1, r.clients * shape.rate * shape.seconds - r.lost)).toFixed(1)} | ${kib(m((r) => r.kernelBytesPerConn))} | ${kib(m((r) => r.sndbuf))} | ${(m((r) => r.sockstatDeltaKB) / g[0]!.clients).toFixed(1)} | ${(m((r) => r.slabDeltaKB) / g[0]!.clients / 2).toFixed(1)} | ${g.map((r) => r.listenOverflows ?? "–").join(" / ")} | ${g.map((r) => pct(r.p99)).join(" / ")} |`;
  });
  return `Run ${runAt.toISOString()} with \`node --import tsx bench/p12-fan-out.ts\` (flags \`--sizes\`, \`--runs\`, \`--seconds\`, \`--rate\`, \`--workers\`, \`--procs\`, \`--floor-sizes\`, \`--source\`, \`--prof <dir>\`).
Machine: ${machine()}; load average ${loadBefore} at the start, ${loadAfter} at the end. ${note}

A fleet of ${shape.workers} signal files (${shape.workers / 20} orchestrators × 20, P7's shape) under the ${shape.source ? "monitor from source" : "built monitor"}; N real SSE clients
over loopback sockets in ${shape.procs} child processes (\`bench/p12-clients.mjs\`, one shared read buffer, fd limit raised to the hard limit, 20,000 here),
each reading the whole stream. Then ${shape.rate * shape.seconds} signal writes (tmp + rename) at ${shape.rate}/s, each stamped with its write time;
latency is write → frame at **every** client (histogram over all client × write pairs). Floor: \`bench/p7-floor.mjs\` (fs.watch → node:http,
one string \`res.write\` per client) on the same fleet, where listed. Medians of ${shape.runs} runs; the last column is every run's p99.
RSS from \`/proc/<pid>/status\` (idle: all clients connected, before the writes; peak: VmHWM); per client = (idle − before any client) / N.
Kernel per connection: the server's sockets' \`ss -tm\` skmem (receive + queued send + forward-allocated memory) halfway through the writes;
sndbuf is the kernel's send-buffer cap of one server socket (what a stalled client may pin there before the hub's queue takes over);
sockstat is the box's TCP buffer memory (\`/proc/net/sockstat\`, both ends, other users included) with the clients connected minus before, per client;
slab is the kernel objects of a connection (\`/proc/slabinfo\`: TCP socket, socket inode, file, dentry, epoll entry, skb heads) with the clients connected minus before, halved (both ends are on this box).

| server | clients | p50 ms | p99 ms | max ms | lost | RSS idle MB | RSS peak MB | RSS per client KiB | CPU s | CPU µs per frame delivered | kernel buffers KiB/conn | sndbuf KiB | sockstat KiB/conn | slab KiB/conn | listen overflows each run | p99 each run |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
${rows.join("\n")}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2);
  const shape = parseP12Args(argv);
  const runAt = new Date();
  const loadBefore = load();
  const note = loadNote();
  const runs = await runP12(shape);
  if (!argv.includes("--no-write"))
    await writeSection(P12_HEADING, p12Section(runs, shape, runAt, loadBefore, load(), note));
  process.exit(0);
}
