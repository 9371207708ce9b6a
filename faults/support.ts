// Shared pieces of the fault suite: the real monitor and replay bins as child processes, real SSE
// clients (the `eventsource` package and raw node:http), fleet writers and poll-until waits.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { EventSource } from "eventsource";
import {
  killAllSpawned,
  type MonitorRun,
  type SpawnedBin,
  spawnBin,
  spawnCommand,
  startMonitorBin,
  waitUntil,
  writeAtomic,
} from "../packages/test-utils/src/index.ts";

export { type MonitorRun, type SpawnedBin, spawnBin };

export const ROOT = fileURLToPath(new URL("../", import.meta.url));
export const TSX = join(ROOT, "node_modules", "tsx", "dist", "loader.mjs");
export const MONITOR_BIN = join(ROOT, "apps", "monitor", "src", "bin.ts");

/** Size knob: 1 for the full suite, smaller under CI (FAULTS_SCALE wins over both). */
export const SCALE = Number(process.env.FAULTS_SCALE ?? (process.env.CI ? 0.2 : 1));

/** `n` scaled, never below `min`. */
export function scaled(n: number, min = 1): number {
  return Math.max(min, Math.round(n * SCALE));
}

/** Polls `check` until it returns a value other than undefined/false (`waitUntil` of @catalyst/test-utils). */
export const waitFor = <T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> => waitUntil(what, check, { timeoutMs, intervalMs: 25 });

/** A fresh temp dir (the caller removes it with `removeDir`). */
export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `faults-${prefix}-`));
}

/** Kills every child this suite started that is still running (afterAll). */
export const killAll = killAllSpawned;

/** Starts `catalyst-monitor --dir <dir> --port <port>` and waits for its listening line (60 s). */
export const startMonitor = startMonitorBin;

/** One SSE frame as a client saw it. */
export interface SseFrame {
  id: number | null;
  event: string;
  data: unknown;
}

/** A real `eventsource` client that records every frame, with reconnection as the library does it. */
export interface Stream {
  frames: SseFrame[];
  source: EventSource;
  opened(): number;
  close(): void;
}

const STREAM_EVENTS = [
  "snapshot",
  "worker-update",
  "worker-removed",
  "orchestrator-update",
  "orchestrator-removed",
  "pr-update",
  "liveness-change",
  "attention-raised",
  "wave-completed",
  "needs-you",
  "log-event",
];

/** Opens `GET /events` with the `eventsource` package; `lastEventId` is sent as the header. */
export function openStream(url: string, options: { lastEventId?: number; query?: string } = {}): Stream {
  const frames: SseFrame[] = [];
  let opened = 0;
  const headers: Record<string, string> = {};
  if (options.lastEventId !== undefined) headers["Last-Event-ID"] = String(options.lastEventId);
  const source = new EventSource(`${url}events${options.query ?? ""}`, {
    fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, ...headers } }),
  });
  source.addEventListener("open", () => {
    opened += 1;
  });
  for (const name of STREAM_EVENTS)
    source.addEventListener(name, (e) => {
      frames.push({
        id: e.lastEventId === "" ? null : Number(e.lastEventId),
        event: name,
        data: JSON.parse(e.data),
      });
    });
  return { frames, source, opened: () => opened, close: () => source.close() };
}

/** GET a JSON route. */
export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return (await res.json()) as T;
}

/** The parts of `/healthz` the suite reads. */
export interface Health {
  rssBytes: number;
  clients: { count: number; queueDepths: number[] };
  lastEventId: number;
  sources: { lastError: string | null };
  pollers: { github: { enabled: boolean; reason: string | null; lastError: string | null } };
}

export const health = (url: string) => getJson<Health>(`${url}healthz`);

/** The parts of a snapshot the suite reads. */
export interface SnapshotLike {
  orchestrators: Array<{
    id: string;
    workers: Record<
      string,
      {
        ticket: string;
        status: string;
        corrupt: unknown;
        pr: { ciStatus: string; state: string; stale: boolean } | null;
      }
    >;
  }>;
  sourceErrors?: unknown[];
}

export const snapshot = (url: string) => getJson<SnapshotLike>(`${url}api/snapshot`);

/** `{ "<orch>/<worker>": status }` of a snapshot, and orchestrator ids listed twice. */
export function statusesOf(snap: SnapshotLike): { statuses: Map<string, string>; duplicates: string[] } {
  const statuses = new Map<string, string>();
  const seen = new Set<string>();
  const duplicates: string[] = [];
  for (const o of snap.orchestrators) {
    if (seen.has(o.id)) duplicates.push(o.id);
    seen.add(o.id);
    for (const [name, w] of Object.entries(o.workers)) statuses.set(`${o.id}/${name}`, w.status);
  }
  return { statuses, duplicates };
}

/** One worker of a snapshot. */
export function workerOf(snap: SnapshotLike, orch: string, worker: string) {
  return snap.orchestrators.find((o) => o.id === orch)?.workers[worker];
}

/** Pairs of ids that break "ids only grow" (a repeat or a step back); a snapshot may repeat the last delta id. */
export function nonIncreasingIds(frames: SseFrame[]): Array<[number, number]> {
  const bad: Array<[number, number]> = [];
  let last = -1;
  for (const f of frames) {
    if (f.id === null) continue;
    if (f.event === "snapshot" ? f.id < last : f.id <= last) bad.push([last, f.id]);
    last = f.id;
  }
  return bad;
}

export const orchId = (o: number) => `orch-f${String(o).padStart(2, "0")}`;
export const ticket = (w: number) => `CTL-${String(w).padStart(3, "0")}`;

/** A worker signal file's text (FORMATS §2). */
export function signalText(orch: string, worker: string, status: string, phase = 3): string {
  const now = new Date().toISOString();
  return `${JSON.stringify(
    {
      ticket: worker,
      orchestrator: orch,
      workerName: `${orch}-${worker}`,
      status,
      phase,
      startedAt: "2026-04-14T18:37:51Z",
      updatedAt: now,
      pr: null,
      pid: null,
      lastHeartbeat: now,
    },
    null,
    2,
  )}\n`;
}

/** Writes like Catalyst does: a temp file, then rename over the target. */
export { writeAtomic };

/** `runs/<orch>/workers/<ticket>.json` */
export const signalPath = (dir: string, orch: string, worker: string) =>
  join(dir, "runs", orch, "workers", `${worker}.json`);

/** Writes `orchs` × `workers` signal files with `status`. */
export async function writeFleet(
  dir: string,
  orchs: number,
  workers: number,
  status = "implementing",
): Promise<void> {
  for (let o = 0; o < orchs; o++) {
    await mkdir(join(dir, "runs", orchId(o), "workers"), { recursive: true });
    for (let w = 0; w < workers; w++)
      await writeFile(signalPath(dir, orchId(o), ticket(w)), signalText(orchId(o), ticket(w), status));
  }
}

/** A v1 event-log line carrying `seq` in its detail (whole second stamp, UTC). */
export function logLine(seq: number, ts = new Date(), pad = 0): string {
  return `${JSON.stringify({
    ts: ts.toISOString().replace(/\.\d+Z$/, "Z"),
    orchestrator: orchId(0),
    worker: ticket(seq % 10),
    event: "worker-status-change",
    detail: { from: "planning", to: "implementing", seq, ...(pad > 0 ? { pad: "x".repeat(pad) } : {}) },
  })}\n`;
}

/** `seq`s of the `log-event` frames of a stream, in arrival order. */
export function logSeqs(frames: SseFrame[]): number[] {
  const seqs: number[] = [];
  for (const f of frames) {
    if (f.event !== "log-event") continue;
    const seq = (f.data as { line?: { detail?: { seq?: number } } }).line?.detail?.seq;
    if (typeof seq === "number") seqs.push(seq);
  }
  return seqs;
}

/** Seqs that occur more than once. */
export function duplicatesOf(values: number[]): number[] {
  const seen = new Set<number>();
  const dup = new Set<number>();
  for (const v of values) (seen.has(v) ? dup : seen).add(v);
  return [...dup];
}

/** A raw HTTP GET with the path and headers exactly as given (no URL normalisation). */
export function rawGet(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, headers: { host: `127.0.0.1:${port}`, ...headers }, agent: false },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => {
          if (body.length < 100_000) body += d;
          if (res.headers["content-type"]?.includes("text/event-stream")) res.destroy();
        });
        res.on("close", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** RSS of a pid in bytes from /proc. */
export function rssOf(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

// ---- hostile-* helpers (issue 17) ----

/** Spawns the monitor bin through `sh -c 'ulimit -n <fds>; exec …'` when `fdLimit` is set. */
export function spawnMonitorWith(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; fdLimit?: number } = {},
): SpawnedBin {
  if (options.fdLimit === undefined)
    return spawnBin("monitor", args, options.env ? { env: options.env } : {});
  const argv = [process.execPath, "--conditions=@catalyst/source", "--import", TSX, MONITOR_BIN, ...args];
  return spawnCommand("sh", ["-c", `ulimit -n ${options.fdLimit} && exec "$@"`, "sh", ...argv], {
    ...(options.env ? { env: options.env } : {}),
  });
}

/** Waits for a spawned monitor's listening line (any host) and returns its URL and port. */
export async function listeningOn(
  run: SpawnedBin,
  timeoutMs = 60_000,
): Promise<{ url: string; port: number }> {
  const url = await waitFor(
    "the monitor's listening line",
    () => {
      const match = /catalyst-monitor listening on (http:\/\/\S+\/)\n/.exec(run.stdout());
      if (match) return match[1]!;
      if (run.child.exitCode !== null)
        throw new Error(`monitor exited ${run.child.exitCode}: ${run.stderr()}`);
      return undefined;
    },
    timeoutMs,
  );
  return { url, port: Number(new URL(url).port) };
}

/** SIGTERM, then SIGKILL after 3 s. */
export async function stopBin(run: SpawnedBin): Promise<void> {
  if (run.child.exitCode !== null || run.child.signalCode !== null) return;
  run.child.kill("SIGTERM");
  const timer = setTimeout(() => run.child.kill("SIGKILL"), 3000);
  await run.exit;
  clearTimeout(timer);
}

/** The open file descriptors of a pid, as the paths they point at (from /proc). */
export function openFds(pid: number): string[] {
  const out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return out;
  }
  for (const name of names) {
    try {
      out.push(readlinkSync(`/proc/${pid}/fd/${name}`));
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

/** A raw HTTP request with a method, host header and extra headers; resolves with status, headers and the start of the body. */
export function rawRequestFull(
  port: number,
  options: { method?: string; path?: string; host?: string; headers?: Record<string, string> },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: options.method ?? "GET",
        path: options.path ?? "/",
        headers: { host: options.host ?? `127.0.0.1:${port}`, ...options.headers },
        agent: false,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => {
          if (body.length < 100_000) body += d;
          if (res.headers["content-type"]?.includes("text/event-stream")) res.destroy();
        });
        res.on("close", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}
