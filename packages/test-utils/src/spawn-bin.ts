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
  const url = await new Promise<string>((resolve, reject) => {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const look = () => {
      const match = /catalyst-monitor listening on (http:\/\/127\.0\.0\.1:(\d+)\/)\n/.exec(run.stdout());
      if (match?.[1]) {
        done();
        resolve(match[1]);
      }
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`monitor did not listen within ${timeoutMs} ms: ${run.stderr()}`));
    }, timeoutMs);
    const onExit = (code: number | null) => {
      done();
      reject(new Error(`monitor exited ${code} before listening: ${run.stderr()}`));
    };
    const done = () => {
      clearTimeout(timer);
      run.child.stdout?.off("data", look);
      run.child.off("exit", onExit);
    };
    run.child.stdout?.on("data", look);
    run.child.once("exit", onExit);
    look();
  });
  const alive = () => run.child.exitCode === null && run.child.signalCode === null;
  return {
    ...run,
    url,
    port: Number(new URL(url).port),
    alive,
    async stop() {
      if (!alive()) return;
      run.child.kill("SIGTERM");
      const timer = setTimeout(() => run.child.kill("SIGKILL"), 3000);
      await run.exit;
      clearTimeout(timer);
    },
  };
}
