import { type ChildProcess, spawn } from "node:child_process";
import { WorkerProcessSpawnError } from "./errors.js";

/** Starts one stand-in worker process that exits by itself after `lifetimeMs`. */
export type SpawnSleeper = (lifetimeMs: number) => ChildProcess;

/** Spawn a real, cheap, short-lived process: `sleep`, or Node itself where there is no `sleep`. */
export const spawnSleeper: SpawnSleeper = (lifetimeMs) => {
  const seconds = Math.max(1, Math.ceil(lifetimeMs / 1000));
  if (process.platform !== "win32") {
    const child = spawn("sleep", [String(seconds)], { stdio: "ignore" });
    child.on("error", () => {});
    if (child.pid !== undefined) return child;
  }
  const child = spawn(process.execPath, ["-e", `setTimeout(() => {}, ${seconds * 1000})`], {
    stdio: "ignore",
  });
  child.on("error", () => {});
  return child;
};

/** The live stand-in processes of a fleet; every one it spawns is killed and reaped by `stopAll`. */
export interface ProcessPool {
  /** Start a process; `onUnexpectedExit` runs if it dies without `kill` asking it to. Returns its pid. */
  spawn(lifetimeMs: number, onUnexpectedExit: (pid: number) => void): number;
  /** End a process on purpose (the worker finished, or the demo crashes it). */
  kill(pid: number, signal?: NodeJS.Signals): void;
  /** Pids whose process has not been reaped yet. */
  livePids(): number[];
  /** Kill every process still running and wait until each is reaped (SIGKILL after `graceMs`). */
  stopAll(graceMs?: number): Promise<void>;
}

interface Tracked {
  child: ChildProcess;
  expected: boolean;
  exited: Promise<void>;
}

/** Create a pool of stand-in worker processes. */
export function createProcessPool(spawnOne: SpawnSleeper = spawnSleeper): ProcessPool {
  const running = new Map<number, Tracked>();

  function kill(pid: number, signal: NodeJS.Signals = "SIGTERM"): void {
    const tracked = running.get(pid);
    if (!tracked) return;
    tracked.expected = true;
    tracked.child.kill(signal);
  }

  return {
    spawn(lifetimeMs, onUnexpectedExit) {
      const child = spawnOne(lifetimeMs);
      const pid = child.pid;
      if (pid === undefined) throw new WorkerProcessSpawnError();
      const tracked: Tracked = {
        child,
        expected: false,
        // 'exit' fires after libuv has waited on the child, so the pid is reaped by then.
        exited: new Promise((resolve) => {
          child.once("exit", () => {
            running.delete(pid);
            if (!tracked.expected) onUnexpectedExit(pid);
            resolve();
          });
        }),
      };
      running.set(pid, tracked);
      return pid;
    },
    kill,
    livePids: () => [...running.keys()],
    async stopAll(graceMs = 500) {
      const all = [...running.values()];
      for (const tracked of all) {
        tracked.expected = true;
        tracked.child.kill("SIGTERM");
      }
      const done = Promise.all(all.map((t) => t.exited));
      let timer: NodeJS.Timeout | undefined;
      const late = await Promise.race([
        done.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), graceMs);
        }),
      ]);
      clearTimeout(timer);
      if (late) {
        for (const tracked of all) if (running.has(tracked.child.pid ?? -1)) tracked.child.kill("SIGKILL");
        await done;
      }
    },
  };
}
