// The scaffolding the central monitor's relayed-liveness tests share (central-relayed.test.ts,
// central-liveness-first.test.ts): real pids (a sleeping child, or one already dead and reaped), a
// host's worker signal file, the worker and its "dead" rows as a central snapshot shows them, and
// cleanups run last-first whatever the test did.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Snapshot } from "@catalyst/schema";

/** A real live pid: `sleep 60`, spawned. */
export async function spawnSleeper(): Promise<ChildProcess & { pid: number }> {
  const child = spawn("sleep", ["60"], { stdio: "ignore" });
  await once(child, "spawn");
  return child as ChildProcess & { pid: number };
}

/** SIGKILLs the child and waits for its exit (at once when it has already gone). */
export async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}

/** A real pid that is dead: a child that ran and was reaped. */
export async function deadPid(): Promise<number> {
  const child = await spawnSleeper();
  await killChild(child);
  return child.pid;
}

/** Writes `<dir>/runs/<orchestrator>/workers/<ticket>.json`, a worker in `status` (phase 3 unless given) started now. */
export async function writeWorkerSignal(
  dir: string,
  orchestrator: string,
  ticket: string,
  fields: { status: string; phase?: number; pid?: number },
): Promise<void> {
  const workers = join(dir, "runs", orchestrator, "workers");
  await mkdir(workers, { recursive: true });
  await writeFile(
    join(workers, `${ticket}.json`),
    JSON.stringify({
      ticket,
      status: fields.status,
      phase: fields.phase ?? 3,
      ...(fields.pid === undefined ? {} : { pid: fields.pid }),
      startedAt: new Date().toISOString(),
    }),
  );
}

/** The worker `ticket` of `orchestrator` (a central id, `<host>/<id>`) in `snap`. */
export const workerOf = (snap: Snapshot, ticket: string, orchestrator = "box/o1") =>
  snap.orchestrators.find((o) => o.id === orchestrator)?.workers[ticket];

/** The workers of the snapshot's "dead" needs-you rows. */
export const deadWorkers = (snap: Snapshot): (string | null)[] =>
  snap.needsYou.filter((n) => n.reason === "dead").map((n) => n.worker);

/** A test's cleanups: `run` registers them as it goes; they run last-first when it ends, failing or not. */
export async function withCleanups(
  run: (cleanups: (() => Promise<unknown>)[]) => Promise<void>,
): Promise<void> {
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    await run(cleanups);
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  }
}
