// P11b: the central monitor's `/api/events?since=1h` on a stream of ≥ 2 M lines (several hosts ×
// months). Each host's log is written as month files (clocks that lie: hosts hours ahead and behind,
// lines jittered and out of order) and published by the real relay publisher, which keeps the
// stream's time index. Measured: how long the publishing took, `/api/events?since=<1 h ago>` on the
// central `catalyst-monitor --nats` (median of several), the same window read in-process through
// the index and as the whole read it replaces (index off), with the messages each read.
//
//   node --conditions=@catalyst/source --import tsx bench/p11-central-events.ts [--hosts 5] [--lines 2000000] [--months 3]
//                                                  [--runs 5] [--full-runs 2] [--slice 20000]
//                                                  [--store <dir> [--fill-only]] [--direct-fill]
// `--store` keeps the broker's store in <dir>: the first run fills it (`--fill-only`: and stops),
// a later one measures on it without publishing again (its window: the hour before the fill).
// `--direct-fill` publishes the written files straight to the stream, indexed, many in flight
// (`packages/relay/bench/fill-stream.ts`) instead of through relay publishers: a 2 M fill in minutes.
// Run alone it rewrites its own BENCHMARKS.md section; `pnpm bench --only p11b` runs it too.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRelayPublisher, type RelayPublisher, readRelayEvents } from "../packages/relay/src/index.ts";
import { NATS_SERVER, startNatsServer } from "../packages/test-utils/src/nats-server.ts";
import { getText } from "./p7-scale.ts";
import {
  type Child,
  fmtMs,
  load,
  loadNote,
  MONITOR_FROM_SOURCE,
  machine,
  median,
  numericFlags,
  ROOT,
  startListening,
  TSX,
  writeSection,
} from "./support.ts";

export interface P11bShape {
  hosts: number;
  lines: number;
  months: number;
  /** Timed `/api/events` and indexed reads. */
  runs: number;
  /** Timed whole reads (slow: the whole stream each). */
  fullRuns: number;
  /** Lines appended per host before waiting for its publisher to catch up. */
  slice: number;
  /**
   * Keep the broker's store (and the host dirs) here: a first run fills it, a later run with the
   * same dir measures on it without publishing again (the window is the hour before the fill ended).
   */
  store?: string;
  /** Fill the store and stop (no measuring). */
  fillOnly?: boolean;
  /**
   * Publish the written files straight to the stream with the publisher's message ids and time
   * index, thousands in flight (`packages/relay/bench/fill-stream.ts`), not through relay
   * publishers: what the reads see is the same, the fill takes minutes instead of most of an hour.
   */
  directFill?: boolean;
}

export const P11B_DEFAULTS: P11bShape = {
  hosts: 5,
  lines: 2_000_000,
  months: 3,
  runs: 5,
  fullRuns: 2,
  slice: 20_000,
};

export const P11B_HEADING = "P11b: central /api/events on a ≥2 M-line stream";

export function parseP11bArgs(argv: string[], prefix = ""): P11bShape {
  const opt = numericFlags(argv, prefix);
  return {
    hosts: opt("hosts", P11B_DEFAULTS.hosts),
    lines: opt("lines", P11B_DEFAULTS.lines),
    months: opt("months", P11B_DEFAULTS.months),
    runs: opt("runs", P11B_DEFAULTS.runs),
    fullRuns: opt("full-runs", P11B_DEFAULTS.fullRuns),
    slice: opt("slice", P11B_DEFAULTS.slice),
    ...stringFlag(argv, `--${prefix}store`),
    ...(argv.includes(`--${prefix}fill-only`) ? { fillOnly: true } : {}),
    ...(argv.includes(`--${prefix}direct-fill`) ? { directFill: true } : {}),
  };
}

function stringFlag(argv: string[], flag: string): { store?: string } {
  const i = argv.indexOf(flag);
  return i >= 0 && argv[i + 1] !== undefined ? { store: argv[i + 1] } : {};
}

/** What a filled store holds (`<store>/filled.json`). */
interface Filled {
  shape: P11bShape;
  published: number;
  publishMs: number;
  /** The bench's clock when the fill began: every host's lines end in the hour before it. */
  now: number;
}

export interface P11bResult {
  shape: P11bShape;
  published: number;
  publishMs: number;
  centralStartMs: number;
  api: { ms: number[]; events: number };
  indexed: { ms: number[]; messages: number; events: number };
  full: { ms: number[]; messages: number; events: number };
  loadBefore: string;
  loadAfter: string;
  note: string;
}

const H = 3_600_000;
const hostName = (h: number) => `host-${h}`;
/** Each host's clock error: from 6 h behind to 6 h ahead. */
const skewOf = (h: number, hosts: number) => (hosts <= 1 ? 0 : Math.round(((h / (hosts - 1)) * 12 - 6) * H));

function lineOf(tsMs: number, host: number, n: number): string {
  const orch = `orch-${host}-${Math.floor(n / 50_000)}`;
  return `{"ts":"${new Date(tsMs).toISOString()}","orchestrator":"${orch}","worker":"CTL-${n % 997}","event":"worker-status-changed","detail":{"n":${n},"status":"implementing","note":"p11b filler text to make a realistic line"}}\n`;
}

const monthFile = (tsMs: number) => `events/${new Date(tsMs).toISOString().slice(0, 7)}.jsonl`;

async function readFilled(store: string | undefined): Promise<Filled | null> {
  if (store === undefined) return null;
  try {
    return JSON.parse(await readFile(join(store, "filled.json"), "utf8")) as Filled;
  } catch {
    return null;
  }
}

export async function runP11b(shape: P11bShape): Promise<P11bResult | null> {
  if (!NATS_SERVER) throw new Error("nats-server is not installed (apt-get install nats-server)");
  const root = shape.store ?? (await mkdtemp(join(tmpdir(), "bench-p11b-")));
  await mkdir(root, { recursive: true });
  let filled = await readFilled(shape.store);
  if (filled) {
    console.log(`P11b: measuring on the store in ${root} (${filled.published} lines, filled before)`);
    shape = { ...shape, hosts: filled.shape.hosts, lines: filled.shape.lines, months: filled.shape.months };
  }
  const broker = await startNatsServer(join(root, "nats"));
  const keep = shape.store !== undefined;
  // Stopped half-way (Ctrl-C, kill): the broker and the temp dir go too.
  const onSignal = (): void => {
    void broker
      .kill()
      .then(() => (keep ? undefined : rm(root, { recursive: true, force: true })))
      .finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const publishers: RelayPublisher[] = [];
  let central: Child | null = null;
  const loadBefore = load();
  try {
    if (!filled) filled = await fill(shape, root, broker.url, publishers);
    if (shape.fillOnly) return null;
    const { now, published, publishMs } = filled;

    const since = new Date(now - H);
    const window = { servers: broker.url, since };
    const indexed = { ms: [] as number[], messages: 0, events: 0 };
    const full = { ms: [] as number[], messages: 0, events: 0 };
    for (let i = 0; i < shape.runs; i++) {
      const t = performance.now();
      const read = readRelayEvents(window);
      let n = 0;
      for await (const _ of read) n++;
      indexed.ms.push(performance.now() - t);
      indexed.messages = read.stats.messages;
      indexed.events = n;
    }
    for (let i = 0; i < shape.fullRuns; i++) {
      const t = performance.now();
      const read = readRelayEvents({ ...window, index: false });
      let n = 0;
      for await (const _ of read) n++;
      full.ms.push(performance.now() - t);
      full.messages = read.stats.messages;
      full.events = n;
    }
    console.log(
      `P11b: since 1 h in-process: indexed ${fmtMs(median(indexed.ms))} ms (${indexed.messages} messages), whole ${fmtMs(median(full.ms))} ms (${full.messages} messages)`,
    );

    // The central monitor: its start-up still reads the stream once (its durable's catch-up).
    const c0 = performance.now();
    central = await startListening(
      [...MONITOR_FROM_SOURCE, "--nats", broker.url, "--port", "0", "--history", "1h"],
      { timeoutMs: 900_000, env: { CATALYST_CACHE_DIR: join(root, "cache") } },
    );
    const centralStartMs = performance.now() - c0;
    const api = { ms: [] as number[], events: 0 };
    const query = `${central.url}api/events?since=${encodeURIComponent(since.toISOString())}&limit=10000`;
    for (let i = 0; i < shape.runs + 1; i++) {
      const res = await getText(query);
      if (res.status !== 200)
        throw new Error(`/api/events answered ${res.status}: ${res.text.slice(0, 200)}`);
      // The first request warms the route's code; the rest are timed.
      if (i > 0) api.ms.push(res.ms);
      api.events = (JSON.parse(res.text) as { events: unknown[] }).events.length;
    }
    console.log(`P11b: central /api/events?since=1h: ${fmtMs(median(api.ms))} ms (${api.events} events)`);
    return {
      shape,
      published,
      publishMs,
      centralStartMs,
      api,
      indexed,
      full,
      loadBefore,
      loadAfter: load(),
      note: loadNote(),
    };
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await central?.stop();
    for (const p of publishers) await p.stop().catch(() => {});
    await broker.kill();
    if (!keep) await rm(root, { recursive: true, force: true });
  }
}

/** Write and publish the hosts' months of log; with a store, note what it holds. */
async function fill(
  shape: P11bShape,
  root: string,
  servers: string,
  publishers: RelayPublisher[],
): Promise<Filled> {
  const now = Date.now();
  const spanMs = shape.months * 30 * 24 * H;
  const perHost = Math.ceil(shape.lines / shape.hosts);
  const dirs: string[] = [];
  for (let h = 0; h < shape.hosts; h++) {
    const dir = join(root, hostName(h));
    await mkdir(join(dir, "events"), { recursive: true });
    dirs.push(dir);
    if (shape.directFill) continue;
    const p = createRelayPublisher({
      servers: servers,
      hostName: hostName(h),
      catalystDir: dir,
      stateDir: join(root, "state"),
      maxInFlight: 2048,
    });
    await p.start();
    publishers.push(p);
  }
  // Lines in time order (each host's own clock), jittered ±10 min, a month file per month; the
  // last lines of each host are in the hour before now (on its clock).
  const t0 = performance.now();
  let written = 0;
  for (let from = 0; from < perHost; from += shape.slice) {
    const to = Math.min(perHost, from + shape.slice);
    for (let h = 0; h < shape.hosts; h++) {
      const texts = new Map<string, string>();
      for (let n = from; n < to; n++) {
        const ts =
          now - spanMs + (n / perHost) * spanMs + skewOf(h, shape.hosts) + ((n * 7919) % 1200_000) - 600_000;
        const file = monthFile(ts);
        texts.set(file, (texts.get(file) ?? "") + lineOf(ts, h, n));
      }
      for (const [file, text] of texts) await appendFile(join(dirs[h]!, file), text);
      written += to - from;
    }
    if (shape.directFill) continue;
    // Each publisher catches up before the next slice, so its queue stays small.
    const deadline = Date.now() + 600_000;
    while (publishers.reduce((a, p) => a + p.stats().linesPublished, 0) < written) {
      if (Date.now() > deadline) throw new Error("the publishers did not catch up in 10 min");
      await new Promise((r) => setTimeout(r, 50));
    }
    process.stdout.write(`\rP11b: published ${written} of ${perHost * shape.hosts} lines`);
  }
  for (const p of publishers) await p.idle();
  const published = shape.directFill
    ? await directFill(
        servers,
        dirs.map((dir, h) => `${hostName(h)}=${dir}`),
      )
    : publishers.reduce((a, p) => a + p.stats().linesPublished, 0);
  const publishMs = performance.now() - t0;
  console.log(
    `\nP11b: ${published} lines from ${shape.hosts} hosts published in ${(publishMs / 1000).toFixed(0)} s`,
  );
  for (const p of publishers) await p.stop();
  publishers.length = 0;
  const filled: Filled = { shape, published, publishMs, now };
  if (shape.store !== undefined) await writeFile(join(root, "filled.json"), JSON.stringify(filled));
  return filled;
}

/** The written files published by `packages/relay/bench/fill-stream.ts`; resolves to the lines. */
async function directFill(servers: string, hosts: string[]): Promise<number> {
  const child = spawn(
    process.execPath,
    [
      "--conditions=@catalyst/source",
      "--import",
      TSX,
      join(ROOT, "packages/relay/bench/fill-stream.ts"),
      servers,
      ...hosts,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (c: string) => {
    out += c;
  });
  const [code] = (await once(child, "exit")) as [number | null];
  const m = /filled (\d+) /.exec(out);
  if (code !== 0 || !m) throw new Error(`the direct fill exited with ${code}: ${out.trim()}`);
  console.log(`P11b: direct fill: ${out.trim()}`);
  return Number(m[1]);
}

export function p11bSection(r: P11bResult): string {
  const s = r.shape;
  const ms = (xs: number[]) => `${fmtMs(median(xs))} ms (runs ${xs.map(fmtMs).join(", ")})`;
  return `Machine: ${machine()}. Date: ${new Date().toISOString().slice(0, 10)}. Load average (1, 5, 15 min) ${r.loadBefore} before, ${r.loadAfter} after. ${r.note}
The box is shared with other developers working in parallel: the figures are upper bounds.

\`node --conditions=@catalyst/source --import tsx bench/p11-central-events.ts --hosts ${s.hosts} --lines ${s.lines} --months ${s.months}${s.directFill ? " --direct-fill" : ""}\`: ${s.hosts} hosts, each
publishing ${s.months} months of log (month files, each host's clock off by −6 h … +6 h, lines jittered ±10 min) ${
    s.directFill
      ? "straight to the stream (the relay publisher's subjects, messages and ids, indexed by its time-index writer)"
      : "through\nthe real relay publisher"
  } into one \`nats-server -js\` (Debian, loopback), with the stream's time index
(per host and hour of each line's own \`ts\`, sequence ranges, KV \`catalyst-index\`).

| What | Figure |
| --- | --- |
| Lines on the stream | ${r.published.toLocaleString("en")} |
| Publishing them (writes, ${r.shape.directFill ? "straight to the stream with the publisher's ids and index, `--direct-fill`" : "publisher, index"}) | ${(r.publishMs / 1000).toFixed(0)} s (${Math.round(r.published / (r.publishMs / 1000)).toLocaleString("en")} lines/s) |
| Central \`/api/events?since=<1 h ago>\` (HTTP, ${r.api.events} events) | ${ms(r.api.ms)} |
| The same window in-process, through the index | ${ms(r.indexed.ms)}, ${r.indexed.messages.toLocaleString("en")} messages read |
| The same window as a whole read (index off: what \`/api/events\` did before) | ${ms(r.full.ms)}, ${r.full.messages.toLocaleString("en")} messages read |
| Central monitor start-up from source (spawn → listening: every host's state, the \`--history 1h\` window read through the index) | ${(r.centralStartMs / 1000).toFixed(1)} s |

Both reads give the same ${r.indexed.events} lines (\`src/read-relay-index.test.ts\` proves the equality on skewed hosts).
`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const shape = parseP11bArgs(process.argv.slice(2));
  const result = await runP11b(shape);
  if (result) {
    await writeSection(P11B_HEADING, p11bSection(result));
    console.log(`P11b: BENCHMARKS.md section "${P11B_HEADING}" written`);
  } else console.log(`P11b: the store in ${shape.store} is filled; run again with --store to measure`);
}
