// The workspace's bins as real child processes, run from source (tsx + the `@catalyst/source`
// condition, so no build is needed), with their output captured for assertions.
import { type ChildProcess, spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const TSX_LOADER = join(REPO_ROOT, "node_modules", "tsx", "dist", "loader.mjs");

/** Source entry of each bin. */
export const BIN_SOURCES = {
  monitor: join(REPO_ROOT, "apps", "monitor", "src", "bin.ts"),
  replay: join(REPO_ROOT, "apps", "replay", "src", "bin.ts"),
  top: join(REPO_ROOT, "apps", "top", "src", "bin.ts"),
} as const;

/** The arguments of `node` that run a workspace bin from source (for a terminal such as tmux). */
export function binNodeArgs(bin: BinName): string[] {
  return ["--conditions=@catalyst/source", "--import", TSX_LOADER, BIN_SOURCES[bin]];
}

export type BinName = keyof typeof BIN_SOURCES;

/** A spawned process with its output so far. */
export interface SpawnedBin {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface SpawnBinOptions {
  /** Added to a minimal environment (PATH, HOME; GitHub tokens emptied so nothing polls GitHub). */
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
  cwd?: string;
}

const spawned = new Set<ChildProcess>();

/** SIGKILLs every child spawned here that is still running (for afterAll). */
export function killAllSpawned(): void {
  for (const child of spawned)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  spawned.clear();
}

/** Spawns a workspace bin from source. */
export function spawnBin(bin: BinName, args: string[], options: SpawnBinOptions = {}): SpawnedBin {
  return spawnNode(
    ["--conditions=@catalyst/source", "--import", TSX_LOADER, BIN_SOURCES[bin], ...args],
    options,
  );
}

/** Spawns `node <args>` with captured output. */
export function spawnNode(args: string[], options: SpawnBinOptions = {}): SpawnedBin {
  return spawnCommand(process.execPath, args, options);
}

/** Spawns any `command <args>` (for example `sh -c 'ulimit …; exec node …'`) with captured output. */
export function spawnCommand(command: string, args: string[], options: SpawnBinOptions = {}): SpawnedBin {
  const child = spawn(command, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: options.uid === undefined ? process.env.HOME : tmpdir(),
      // The event-log index goes where the test run says (vitest.shared.ts), never into ~/.cache.
      CATALYST_CACHE_DIR: process.env.CATALYST_CACHE_DIR,
      GITHUB_TOKEN: "",
      GH_TOKEN: "",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.gid ?? options.uid }),
  });
  return captured(child);
}

/** Tracks a child for `killAllSpawned` and records its output. */
function captured(child: ChildProcess): SpawnedBin {
  spawned.add(child);
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => {
      spawned.delete(child);
      resolve({ code, signal });
    }),
  );
  return { child, stdout: () => out, stderr: () => err, exit };
}

/** A running monitor bin. */
export interface MonitorRun extends SpawnedBin {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  port: number;
  alive(): boolean;
  /** SIGTERM, then SIGKILL after 3 s. */
  stop(): Promise<void>;
}

/**
 * Starts `catalyst-monitor --dir <dir> --port 0 …args` from source and resolves once it prints its
 * listening line (rejects if it exits first or after `timeoutMs`).
 */
export async function startMonitorBin(
  dir: string,
  options: SpawnBinOptions & { port?: number; args?: string[]; timeoutMs?: number } = {},
): Promise<MonitorRun> {
  const run = spawnBin(
    "monitor",
    ["--dir", dir, "--port", String(options.port ?? 0), ...(options.args ?? [])],
    options,
  );
  const url = await waitForListening(run, options.timeoutMs ?? 60_000, "monitor");
  const alive = () => run.child.exitCode === null && run.child.signalCode === null;
  return {
    ...run,
    url,
    port: Number(new URL(url).port),
    alive,
    stop: () => stopChild(run),
  };
}

/** SIGTERM, then SIGKILL after 3 s; resolves once the child has exited. */
async function stopChild(run: SpawnedBin): Promise<void> {
  if (run.child.exitCode !== null || run.child.signalCode !== null) return;
  run.child.kill("SIGTERM");
  const timer = setTimeout(() => run.child.kill("SIGKILL"), 3000);
  await run.exit;
  clearTimeout(timer);
}

/**
 * Resolves with the URL (ending in `/`) once the child prints `listening on http://<host:port>/`;
 * rejects if it exits first or after `timeoutMs`. The one wait for a server child: bins, benches.
 */
export function waitForListening(run: SpawnedBin, timeoutMs: number, what: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const look = () => {
      // The terminator matters: a chunk may end in the middle of the URL.
      const match = /listening on (http:\/\/[^\s/"]+)\/?[\s"]/.exec(run.stdout());
      if (match?.[1]) {
        done();
        resolve(`${match[1]}/`);
      }
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${what} did not listen within ${timeoutMs} ms: ${run.stderr().slice(-2000)}`));
    }, timeoutMs);
    const onExit = (code: number | null) => {
      done();
      reject(new Error(`${what} exited ${code} before listening: ${run.stderr().slice(-2000)}`));
    };
    const done = () => {
      clearTimeout(timer);
      run.child.stdout?.off("data", look);
      run.child.off("exit", onExit);
    };
    run.child.stdout?.on("data", look);
    run.child.once("exit", onExit);
    if (run.child.exitCode !== null) onExit(run.child.exitCode);
    else look();
  });
}

/** A server child that printed its URL. */
export interface ListeningChild extends SpawnedBin {
  /** `http://<host:port>/` */
  url: string;
  /** SIGTERM, then SIGKILL after 3 s. */
  stop(): Promise<void>;
}

/** Options of `startListening`. */
export interface StartListeningOptions {
  /** @default the repository root */
  cwd?: string;
  /** Added to this process's environment (GitHub tokens emptied so nothing polls GitHub). */
  env?: NodeJS.ProcessEnv;
  /** Keep stdin open as a pipe (`child.stdin`) for servers that wait for a line. @default false */
  stdin?: boolean;
  /** @default 120_000 */
  timeoutMs?: number;
}

/**
 * Spawns `node <args>` (a bin, a bench server) with this process's environment and resolves once
 * it prints `listening on <url>` (see `waitForListening`); the child is killed if it never does.
 */
export async function startListening(
  args: string[],
  options: StartListeningOptions = {},
): Promise<ListeningChild> {
  const child = spawn(process.execPath, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, GITHUB_TOKEN: "", GH_TOKEN: "", ...options.env },
    stdio: [options.stdin ? "pipe" : "ignore", "pipe", "pipe"],
  });
  const run = captured(child);
  try {
    const url = await waitForListening(run, options.timeoutMs ?? 120_000, args.join(" "));
    return { ...run, url, stop: () => stopChild(run) };
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
}
