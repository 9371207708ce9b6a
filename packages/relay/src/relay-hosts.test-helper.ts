// Simulated hosts as separate processes for the relay's broker and fault tests: a fleet-sim writer
// (fleet-child.test-helper.ts) and a relay publisher (publish-child.test-helper.ts) per host, plus
// what the truth is (the lines and state on disk) and what the broker holds (stream and KV).
import { type ChildProcess, spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { SourceChange } from "@catalyst/schema";
import { createSourceWatcher } from "@catalyst/sources";
import { waitUntil } from "@catalyst/test-utils";
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection, nanos } from "@nats-io/transport-node";
import { escapeToken, stateKeyOf } from "./keys.js";
import { listKeys } from "./kv-keys.js";
import type { RelayPublisherOptions, RelayPublisherStats } from "./publisher.js";
import type { LogMessage, StateMessage } from "./wire.js";

const HERE = dirname(fileURLToPath(import.meta.url));

/** Extra publisher options a child takes (JSON on its command line). */
export type ChildPublisherOptions = Pick<
  RelayPublisherOptions,
  "heartbeatMs" | "maxQueuedChanges" | "maxQueuedBytes" | "replicas" | "retryMs" | "maxInFlight"
>;

/** The child's stats plus the largest queue it saw (sampled every 5 ms), overall and since its last `mark()`. */
export type ChildPublisherStats = RelayPublisherStats & { peakQueuedChanges: number; peakSinceMark: number };

/** A publisher in its own process (publish-child.test-helper.ts). */
export interface ChildPublisher {
  child: ChildProcess;
  published: number;
  idle(): Promise<void>;
  stats(): Promise<ChildPublisherStats>;
  /** Starts `peakSinceMark` again from the queue as it is now (seen by every later `stats()`). */
  mark(): void;
}

function spawnHelper(script: string, args: string[]): ChildProcess {
  return spawn(
    process.execPath,
    ["--conditions=@catalyst/source", "--import", "tsx", join(HERE, script), ...args],
    {
      cwd: join(HERE, ".."),
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
}

/** Resolves on the child's first stdout line; rejects (with its stderr) if it exits first. */
function firstLine(child: ChildProcess, what: string, err: () => string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    child.stdout!.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`${what} exited ${code}: ${err()}`)));
  });
}

/** Start a publisher process for one host; `servers` is one URL or a cluster's list. */
export async function spawnPublisher(
  servers: string | string[],
  host: string,
  dir: string,
  stateDir: string,
  options: ChildPublisherOptions = {},
): Promise<ChildPublisher> {
  const url = Array.isArray(servers) ? servers.join(",") : servers;
  const child = spawnHelper("publish-child.test-helper.ts", [
    url,
    host,
    dir,
    stateDir,
    JSON.stringify(options),
  ]);
  let out = "";
  let err = "";
  let idles = 0;
  const statsWaiters: ((s: ChildPublisherStats) => void)[] = [];
  const p: ChildPublisher = {
    child,
    published: 0,
    async idle() {
      const want = idles + 1;
      child.stdin!.write("idle\n");
      await waitUntil(`publisher ${host} idle`, () => idles >= want, 60_000);
    },
    stats() {
      return new Promise((resolve) => {
        statsWaiters.push(resolve);
        child.stdin!.write("stats\n");
      });
    },
    mark() {
      child.stdin!.write("mark\n");
    },
  };
  child.stderr!.on("data", (b: Buffer) => {
    if (err.length < 8192) err += b.toString("utf8");
  });
  child.stdout!.on("data", (b: Buffer) => {
    out += b.toString("utf8");
    const lines = out.split("\n");
    out = lines.pop()!;
    for (const line of lines) {
      if (line === "idle") idles++;
      const m = /^published (\d+)$/.exec(line);
      if (m) p.published = Number(m[1]);
      if (line.startsWith("stats ")) statsWaiters.shift()?.(JSON.parse(line.slice(6)) as ChildPublisherStats);
    }
  });
  await firstLine(child, `publisher ${host}`, () => err);
  return p;
}

/** A demo fleet writing one host's catalyst dir in its own process (fleet-child.test-helper.ts). */
export async function spawnFleet(dir: string, seed: number, tickMs = 40): Promise<ChildProcess> {
  const child = spawnHelper("fleet-child.test-helper.ts", [dir, String(seed), String(tickMs)]);
  let err = "";
  child.stderr!.on("data", (b: Buffer) => {
    if (err.length < 8192) err += b.toString("utf8");
  });
  child.stdout!.resume();
  await firstLine(child, `fleet ${dir}`, () => err);
  return child;
}

/** Send `signal` and wait for the exit (a stopped child is continued first so it can handle it). */
export async function killChild(child: ChildProcess, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill(signal);
  if (signal !== "SIGKILL") child.kill("SIGCONT");
  await gone;
}

/** Every complete line in a catalyst dir's event logs, as `host|file|offset`. */
export async function linesOnDisk(host: string, dir: string): Promise<string[]> {
  const out: string[] = [];
  const files = (await readdir(join(dir, "events")).catch(() => [] as string[])).filter((f) =>
    f.endsWith(".jsonl"),
  );
  for (const f of files) {
    const text = await readFile(join(dir, "events", f), "utf8");
    let offset = 0;
    for (const line of text.split("\n").slice(0, -1)) {
      if (line.trim() !== "") out.push(`${host}|events/${f}|${offset}`);
      offset += Buffer.byteLength(line) + 1;
    }
  }
  return out;
}

/** Every message in the stream, as `host|file|offset`, in stream order. */
export async function streamLines(servers: string | string[], stream = "CATALYST_EVENTS"): Promise<string[]> {
  const nc = await connect({ servers });
  try {
    const jsm = await jetstreamManager(nc);
    const last = (await jsm.streams.info(stream)).state.last_seq;
    const out: string[] = [];
    if (last === 0) return out;
    const consumer = await jetstream(nc).consumers.get(stream); // ordered: reads, acks nothing
    const messages = await consumer.consume();
    for await (const m of messages) {
      const d = m.json<LogMessage>();
      out.push(`${d.host}|${d.file}|${d.offset}`);
      if (m.seq >= last) break;
    }
    return out;
  } finally {
    await nc.close();
  }
}

/** What a state value is compared by: its kind and parse result (the orchestrator's id). */
function stateFingerprint(m: StateMessage): string {
  switch (m.kind) {
    case "orchestrator":
      return `orchestrator ${m.orchestrator.id}`;
    case "heartbeat":
      return "heartbeat";
    case "briefing":
      return `briefing ${m.file} ${m.bytes}`;
    case "liveness":
    case "skipped":
      return m.kind;
    default:
      return `${m.kind} ${JSON.stringify(m.result)}`;
  }
}

/** One host's KV entries (heartbeat left out), key → fingerprint. */
export async function kvOfHost(
  servers: string | string[],
  host: string,
  bucket = "catalyst-state",
  timeoutMs = 10_000,
): Promise<Map<string, string>> {
  const nc = await connect({ servers });
  // One read is bounded: a key listing that stalls (seen once in a loaded CI run: the first
  // read of a host never returned, so a 60 s wait saw nothing) is given up and asked again.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`reading the KV of ${host} took over ${timeoutMs} ms`));
      void nc.close();
    }, timeoutMs);
  });
  try {
    const read = readKvOfHost(nc, host, bucket);
    // A read given up on fails later, when its connection closes: nobody waits for it then.
    read.catch(() => {});
    return await Promise.race([read, stalled]);
  } finally {
    clearTimeout(timer);
    await nc.close();
  }
}

async function readKvOfHost(nc: NatsConnection, host: string, bucket: string): Promise<Map<string, string>> {
  const kv = await new Kvm(jetstream(nc)).open(bucket);
  const out = new Map<string, string>();
  // The relay's bounded listing (a CI run once hung in `kv.keys()` here).
  const jsm = await jetstreamManager(nc);
  const keys = await listKeys({ nc, jsm }, bucket, `${escapeToken(host)}.>`, { servers: nc.getServer() });
  for (const k of keys) {
    const e = await kv.get(k);
    if (e?.operation !== "PUT") continue;
    const m = e.json<StateMessage>();
    // Not files a scan finds: the heartbeat, pid answers, skipped-line markers.
    if (m.kind !== "heartbeat" && m.kind !== "liveness" && m.kind !== "skipped")
      out.set(k, stateFingerprint(m));
  }
  return out;
}

/** The KV a publisher of `dir` should leave, from a fresh scan of the dir: key → fingerprint. */
export async function expectedKv(host: string, dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const rel = (f: string) => relative(dir, f);
  const put = (c: SourceChange) => {
    switch (c.kind) {
      case "orchestrator-added":
        out.set(
          stateKeyOf({ kind: "orchestrator", host, orchestrator: c.orchestrator.id }),
          stateFingerprint({ host, kind: "orchestrator", orchestrator: c.orchestrator }),
        );
        return;
      case "signal":
        out.set(
          stateKeyOf({ kind: "signal", host, orchestrator: c.orchestrator, key: c.key }),
          stateFingerprint({ ...c, host, file: rel(c.file) }),
        );
        return;
      case "phase-signal":
        out.set(
          stateKeyOf({ kind: "phase", host, orchestrator: c.orchestrator, ticket: c.ticket, phase: c.phase }),
          stateFingerprint({
            host,
            kind: "phase",
            orchestrator: c.orchestrator,
            ticket: c.ticket,
            phase: c.phase,
            file: rel(c.file),
            result: c.result,
          }),
        );
        return;
      case "local-state":
        out.set(
          stateKeyOf({ kind: "local-state", host, orchestrator: c.orchestrator }),
          stateFingerprint({ ...c, host, file: rel(c.file) }),
        );
        return;
      case "global-state":
        out.set(
          stateKeyOf({ kind: "global-state", host }),
          stateFingerprint({ ...c, host, file: rel(c.file) }),
        );
        return;
      case "briefing":
        out.set(
          stateKeyOf({ kind: "briefing", host, orchestrator: c.orchestrator, wave: c.wave }),
          `briefing ${rel(c.file)} ${c.bytes}`,
        );
        return;
      default:
        return;
    }
  };
  const watcher = createSourceWatcher({ catalystDir: dir, logFrom: "end", rescanIntervalMs: 3_600_000 });
  watcher.subscribe((changes) => {
    for (const c of changes) put(c);
  });
  await watcher.start();
  await watcher.stop();
  return out;
}

/** A stream's replica count and current leader (a KV bucket is the stream `KV_<bucket>`). */
export async function clusterOf(
  servers: string | string[],
  stream: string,
): Promise<{ replicas: number; leader: string }> {
  const nc = await connect({ servers });
  try {
    const info = await (await jetstreamManager(nc)).streams.info(stream);
    return { replicas: info.config.num_replicas, leader: info.cluster?.leader ?? "" };
  } finally {
    await nc.close();
  }
}

/** Create the central's durable consumer ahead of it, as an operator would, with its own ack wait. */
export async function createDurable(
  servers: string | string[],
  durable: string,
  ackWaitMs: number,
): Promise<void> {
  const nc = await connect({ servers });
  try {
    await (await jetstreamManager(nc)).consumers.add("CATALYST_EVENTS", {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(ackWaitMs),
    });
  } finally {
    await nc.close();
  }
}
