import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";

// Test helper: real child processes for liveness tests.

/** Spawns `sleep <seconds>` (30 unless given), resolved once the OS has given it a pid. */
export async function spawnSleeper(seconds = 30): Promise<ChildProcess & { pid: number }> {
  const child = spawn("sleep", [String(seconds)], { stdio: "ignore" });
  await once(child, "spawn");
  if (child.pid === undefined) throw new Error("spawned child has no pid");
  return child as ChildProcess & { pid: number };
}

/** Kills a child and waits until it has exited and been reaped (its pid is then free). */
export async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}

/** Polls `check` until it returns true or the deadline passes (no fixed sleeps). */
export async function waitUntil(check: () => boolean, timeoutMs = 5_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
