// Orchestrator discovery: how fast a directory watch on `runs/` sees an orchestrator dir (with its
// workers/ and signal files) appear and vanish, with plain fs.watch and with chokidar configured for
// atomic writers. Only the discovery directories are compared; workers/ stays on fs.watch either way.
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { watch as chokidarWatch } from "chokidar";
import { createFsDirWatcher, type DirWatcher } from "../src/watch-dir.js";

/** How long an appearance or removal may take before it counts as missed. */
const MISS_MS = 2_000;

export type DiscoveryVariant = "fs" | "chokidar-atomic" | "chokidar-atomic-awf";

/** chokidar at depth 0, one instance, with the options meant for writers that replace files. */
function chokidarDirWatcher(awaitWriteFinish: boolean): DirWatcher {
  const handlers = new Map<string, (name: string | null) => void>();
  const watcher = chokidarWatch([], {
    depth: 0,
    ignoreInitial: true,
    atomic: true,
    persistent: true,
    ...(awaitWriteFinish ? { awaitWriteFinish: { stabilityThreshold: 50, pollInterval: 10 } } : {}),
  });
  watcher.on("all", (_event, path) => {
    const cut = path.lastIndexOf("/");
    handlers.get(path.slice(0, cut))?.(path.slice(cut + 1));
  });
  return {
    watch(dir, onChange) {
      handlers.set(dir, onChange);
      watcher.add(dir);
      return {
        close() {
          handlers.delete(dir);
          watcher.unwatch(dir);
        },
      };
    },
    close: () => watcher.close(),
  };
}

export interface DiscoveryResult {
  variant: DiscoveryVariant;
  /** One orchestrator at a time: ms from mkdir to the first event naming it. */
  appear: number[];
  /** One at a time: ms from the start of `rm -r` to the first event naming it after that. */
  vanish: number[];
  /** A burst of `burst` orchestrators appearing at once, then all vanishing: ms until all were named. */
  burstAppearMs: number;
  burstVanishMs: number;
  missed: number;
  /** workers/ on the same backend: files whose last tmp+rename write got no event after it. */
  workersWrites: number;
  workersMissedFinals: number;
}

function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

function makeOrchestrator(runs: string, name: string): void {
  const dir = join(runs, name);
  mkdirSync(join(dir, "workers"), { recursive: true });
  writeAtomic(join(dir, "state.json"), JSON.stringify({ currentWave: 1 }));
  for (let k = 0; k < 3; k++) {
    writeAtomic(
      join(dir, "workers", `CTL-${k}.json`),
      JSON.stringify({ ticket: `CTL-${k}`, status: "dispatched" }),
    );
  }
}

export async function benchDiscovery(
  variant: DiscoveryVariant,
  single: number,
  burst: number,
): Promise<DiscoveryResult> {
  const root = mkdtempSync(join(tmpdir(), "catalyst-bench-discovery-"));
  const runs = join(root, "runs");
  mkdirSync(runs);
  const watcher =
    variant === "fs" ? createFsDirWatcher() : chokidarDirWatcher(variant === "chokidar-atomic-awf");
  // name → the times it was named by the watcher
  const seen = new Map<string, number[]>();
  watcher.watch(
    runs,
    (name) => {
      if (name === null) return;
      const list = seen.get(name) ?? [];
      list.push(performance.now());
      seen.set(name, list);
    },
    () => undefined,
  );
  await sleep(300); // chokidar sets its watch up asynchronously; a bench may wait, a test may not
  const firstAfter = async (name: string, t0: number): Promise<number | null> => {
    const deadline = t0 + MISS_MS;
    while (performance.now() < deadline) {
      const at = seen.get(name)?.find((t) => t >= t0);
      if (at !== undefined) return at - t0;
      await sleep(1);
    }
    return null;
  };
  const result: DiscoveryResult = {
    variant,
    appear: [],
    vanish: [],
    burstAppearMs: 0,
    burstVanishMs: 0,
    missed: 0,
    workersWrites: 0,
    workersMissedFinals: 0,
  };
  try {
    for (let i = 0; i < single; i++) {
      const name = `orch-${i}`;
      let t0 = performance.now();
      makeOrchestrator(runs, name);
      const a = await firstAfter(name, t0);
      if (a === null) result.missed += 1;
      else result.appear.push(a);
      await sleep(150); // let chokidar's atomic window (100 ms) pass so vanish is not folded into it
      t0 = performance.now();
      rmSync(join(runs, name), { recursive: true, force: true });
      const v = await firstAfter(name, t0);
      if (v === null) result.missed += 1;
      else result.vanish.push(v);
      await sleep(50);
    }
    const names = Array.from({ length: burst }, (_, i) => `burst-${i}`);
    let t0 = performance.now();
    for (const name of names) makeOrchestrator(runs, name);
    let worst = 0;
    for (const name of names) {
      const a = await firstAfter(name, t0);
      if (a === null) result.missed += 1;
      else worst = Math.max(worst, a);
    }
    result.burstAppearMs = worst;
    await sleep(150);
    t0 = performance.now();
    for (const name of names) rmSync(join(runs, name), { recursive: true, force: true });
    worst = 0;
    for (const name of names) {
      const v = await firstAfter(name, t0);
      if (v === null) result.missed += 1;
      else worst = Math.max(worst, v);
    }
    result.burstVanishMs = worst;
    // The hot path on the same backend: a burst of tmp+rename writes to 20 signal files in one
    // workers/ dir, 200 writes/s, and for each file whether an event named it after its last rename.
    const workers = join(root, "hot", "workers");
    mkdirSync(workers, { recursive: true });
    const hot = new Map<string, number[]>();
    watcher.watch(
      workers,
      (name) => {
        if (name === null) return;
        const list = hot.get(name) ?? [];
        list.push(performance.now());
        hot.set(name, list);
      },
      () => undefined,
    );
    await sleep(300);
    const lastWrite = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      const name = `CTL-${i % 20}.json`;
      writeAtomic(join(workers, name), JSON.stringify({ ticket: name, seq: i }));
      lastWrite.set(name, performance.now());
      result.workersWrites += 1;
      await sleep(5);
    }
    await sleep(MISS_MS);
    for (const [name, at] of lastWrite) {
      if (!(hot.get(name) ?? []).some((t) => t >= at)) result.workersMissedFinals += 1;
    }
  } finally {
    await watcher.close();
    rmSync(root, { recursive: true, force: true });
  }
  return result;
}
