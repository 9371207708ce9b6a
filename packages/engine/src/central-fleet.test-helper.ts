// The scaffolding the central monitor's relayed-liveness tests share (central-relayed.test.ts,
// central-liveness-first.test.ts): real pids (a sleeping child from the pollers' test helper, or
// one already dead and reaped), a host's worker signal file, the worker and its "dead" rows as a
// central snapshot shows them, and cleanups run last-first whatever the test did.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Snapshot } from "@catalyst/schema";
import { killAndWait, spawnSleeper } from "../../pollers/src/child-process.test-helper.js";

/** A real live pid for the length of a test: `sleep 60`. */
export const spawnLivePid = () => spawnSleeper(60);

/** SIGKILLs the child and waits for its exit (at once when it has already gone). */
export const killChild = killAndWait;

/** A real pid that is dead: a child that ran and was reaped. */
export async function deadPid(): Promise<number> {
  const child = await spawnLivePid();
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
