// Shared pieces of the monitor benches: child servers, raw SSE clients, percentiles, machine facts.
import type { ChildProcess } from "node:child_process";
import { rename, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { machine, startListening } from "@catalyst/test-utils/bench";

export const MONITOR_DIR = fileURLToPath(new URL("../", import.meta.url));

/** One parsed SSE frame and when its last byte arrived (ms, performance clock of this process). */
export interface Frame {
  id: string | null;
  event: string;
  data: string;
  at: number;
}

/** A running child server that printed its URL. */
export interface ChildServer {
  url: string;
  child: ChildProcess;
  /** Writes one line to the child's stdin (the fan-out servers start on "go"). */
  send(line: string): void;
  /** User+system CPU seconds the child has used so far (from /proc). */
  cpuSeconds(): Promise<number | null>;
  stop(): Promise<void>;
  /** Peak RSS in KiB as reported by the child on stop (VmHWM), when it can be read. */
  peakRssKiB(): Promise<number | null>;
}

/** Starts a TypeScript entry under tsx with the source condition and waits for `listening on <url>`. */
export async function startChild(
  entry: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<ChildServer> {
  const { child, url, stop } = await startListening(
    [
      ...(process.env.BENCH_CHILD_FLAGS?.split(" ").filter(Boolean) ?? []),
      "--conditions=@catalyst/source",
      "--import",
      "tsx",
      entry,
      ...args,
    ],
    { cwd: MONITOR_DIR, env, stdin: true },
  );
  return {
    url,
    child,
    send(line) {
      child.stdin?.write(`${line}\n`);
    },
    async cpuSeconds() {
      try {
        const { readFile } = await import("node:fs/promises");
        const stat = await readFile(`/proc/${child.pid}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return (Number(fields[11]) + Number(fields[12])) / 100;
      } catch {
        return null;
      }
    },
    stop,
    async peakRssKiB() {
      try {
        const { readFile } = await import("node:fs/promises");
        const status = await readFile(`/proc/${child.pid}/status`, "utf8");
        const match = /VmHWM:\s+(\d+) kB/.exec(status);
        return match ? Number(match[1]) : null;
      } catch {
        return null;
      }
    },
  };
}

/** A raw SSE client over node:http; parses frames only when `parse` is set (else it just drains). */
export interface SseClient {
  close(): void;
  bytes(): number;
  ready: Promise<void>;
}

/** A drain-only client on a raw socket: the cheapest reader, so the bench process keeps up. */
export function openDrain(url: string): SseClient {
  const { hostname, port, pathname } = new URL(url);
  let bytes = 0;
  let resolveReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    resolveReady = resolve;
  });
  const socket = connect(Number(port), hostname, () => {
    socket.write(`GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n\r\n`);
  });
  socket.on("data", (chunk: Buffer) => {
    bytes += chunk.length;
    resolveReady();
  });
  socket.on("error", () => {});
  return { close: () => socket.destroy(), bytes: () => bytes, ready };
}

export function openSse(url: string, onFrame: ((frame: Frame) => void) | null): SseClient {
  let bytes = 0;
  let buffer = "";
  let resolveReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    resolveReady = resolve;
  });
  const req = request(url, { agent: false }, (res) => {
    res.on("data", (raw: Buffer) => {
      bytes += raw.length;
      resolveReady();
      if (onFrame === null) return;
      const at = performance.now();
      buffer += raw.toString("utf8");
      let end = buffer.indexOf("\n\n");
      while (end !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf("\n\n");
        let id: string | null = null;
        let event = "message";
        let data = "";
        for (const line of block.split("\n")) {
          if (line.startsWith("id: ")) id = line.slice(4);
          else if (line.startsWith("event: ")) event = line.slice(7);
          else if (line.startsWith("data: ")) data = line.slice(6);
        }
        if (data !== "") onFrame({ id, event, data, at });
      }
    });
    res.on("error", () => {});
  });
  req.on("error", () => {});
  req.end();
  return { close: () => req.destroy(), bytes: () => bytes, ready };
}

/** Writes a file the way Catalyst writers do: a temp file, then rename over the target. */
export async function writeAtomic(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Latency summary in ms. */
export interface Summary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  missed: number;
}

export function summarize(samples: number[], missed: number): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const pick = (q: number) =>
    sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return {
    n: sorted.length,
    p50: pick(0.5),
    p95: pick(0.95),
    p99: pick(0.99),
    max: sorted.at(-1) ?? Number.NaN,
    missed,
  };
}

/** The median run by p50 (runs are noisy; the median run is reported whole). */
export function medianRun<T extends { summary: Summary }>(runs: T[]): T {
  const sorted = [...runs].sort((a, b) => a.summary.p50 - b.summary.p50);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The machine line and the date. */
export function machineLine(): string {
  return `${machine()}, ${new Date().toISOString().slice(0, 10)}`;
}

export const fmt = (ms: number) => (Number.isNaN(ms) ? "–" : ms < 10 ? ms.toFixed(1) : ms.toFixed(0));
