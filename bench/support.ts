// Shared pieces of the system benches (P5, P6, the runner): machine facts, medians, /proc reads,
// child processes that print a URL, and rewriting one section of BENCHMARKS.md.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { cpus, loadavg, totalmem } from "node:os";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../", import.meta.url));
export const BENCHMARKS = `${ROOT}BENCHMARKS.md`;
export const TSX = `${ROOT}node_modules/tsx/dist/loader.mjs`;

/** "2 cores (AMD EPYC …), 23.5 GiB RAM, Node v20.20.2, Linux" */
export function machine(): string {
  const model = cpus()[0]?.model.trim() ?? "cpu";
  return `${cpus().length} cores (${model}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}, ${process.platform}`;
}

export const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(", ");

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** `VmRSS` and `VmHWM` of a pid in bytes, or null when it is gone. */
export function memoryOf(pid: number): { rss: number; peak: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const rss = /VmRSS:\s+(\d+) kB/.exec(status);
    const peak = /VmHWM:\s+(\d+) kB/.exec(status);
    return rss && peak ? { rss: Number(rss[1]) * 1024, peak: Number(peak[1]) * 1024 } : null;
  } catch {
    return null;
  }
}

export const mib = (bytes: number) => bytes / 2 ** 20;
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A child that printed `listening on <url>`. */
export interface Child {
  child: ChildProcess;
  url: string;
  stdout(): string;
  stderr(): string;
  stop(): Promise<void>;
}

/** Spawns `node <args>` and resolves once stdout shows `listening on http://…` (or rejects on exit). */
export async function startListening(args: string[], cwd = ROOT, timeoutMs = 60_000): Promise<Child> {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, GITHUB_TOKEN: "", GH_TOKEN: "" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = /listening on (http:\/\/\S+)/.exec(out);
    if (match) {
      const url = match[1]!.endsWith("/") ? match[1]! : `${match[1]}/`;
      return {
        child,
        url,
        stdout: () => out,
        stderr: () => err,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
          const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
          await exited;
          clearTimeout(timer);
        },
      };
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${args.join(" ")} did not start: ${err.slice(-2000)}`);
    }
    await sleep(5);
  }
}

/** Replaces the `## <heading>` section of BENCHMARKS.md (up to the next `## `), or appends it. */
export async function writeSection(heading: string, body: string): Promise<void> {
  const text = await readFile(BENCHMARKS, "utf8");
  const section = `## ${heading}\n\n${body.trim()}\n`;
  const start = text.indexOf(`\n## ${heading}\n`);
  if (start === -1) {
    await writeFile(BENCHMARKS, `${text.trimEnd()}\n\n${section}`);
    return;
  }
  const next = text.indexOf("\n## ", start + heading.length + 4);
  await writeFile(BENCHMARKS, `${text.slice(0, start + 1)}${section}${next === -1 ? "" : text.slice(next)}`);
}

export const fmtMs = (ms: number) => (Number.isNaN(ms) ? "–" : ms < 10 ? ms.toFixed(1) : ms.toFixed(0));
