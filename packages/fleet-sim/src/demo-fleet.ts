import { mkdtempSync } from "node:fs";
import { mkdir, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { LineShapes } from "./append-event.js";
import { DemoDirNotEmptyError, DemoFleetStoppedError } from "./errors.js";
import { createExecutionCoreSim } from "./execution-core-sim.js";
import { createGlobalStateWriter } from "./global-state-writer.js";
import { formatUtcDay } from "./iso-seconds.js";
import { createFleetPlanner } from "./plan-fleet.js";
import { createOrchestrationRun, type OrchestrationRun } from "./run-orchestration.js";
import { createSeededRandom } from "./seeded-random.js";
import { createProcessPool, type SpawnSleeper, spawnSleeper } from "./worker-processes.js";

/** Options for {@link createDemoFleet}. */
export interface DemoFleetOptions {
  /** The catalyst dir to simulate into; must be empty or missing. @default a new mkdtemp dir */
  dir?: string;
  /** @default 3 */
  orchestrators?: number;
  /** @default 6 */
  workersPerOrchestrator?: number;
  /** Pace of the simulation: one step every `tickMs`. @default 1500 */
  tickMs?: number;
  /** Seed of every choice the simulation makes. @default 7400 */
  seed?: number;
  /** Start new orchestrations when all finish. @default true */
  loop?: boolean;
  /** Told about a step that failed (the disk filled up, the dir was removed); the fleet keeps going. */
  onError?: (error: unknown) => void;
  /** How stand-in worker processes are started. @default `sleep` (or Node where there is none) */
  spawnProcess?: SpawnSleeper;
  /**
   * Event-line shapes: today's mix of v1, v2, dual and bare v3 lines with an occasional oversized
   * tombstone (FORMATS-TODAY §1), or only the seed's v1. @default "mixed"
   */
  lineShapes?: LineShapes;
  /**
   * Tickets of the execution-core pipeline (`execution-core/workers/<TICKET>/phase-*.json`, FORMATS-TODAY
   * §3) simulated beside the orchestrators; 0 for none. @default 6
   */
  executionCoreTickets?: number;
  /**
   * Where the simulated Claude Code jobs (`<bg_job_id>/state.json`) are written: never the user's
   * `~/.claude`. @default a new mkdtemp dir, removed by stop()
   */
  jobsDir?: string;
}

/** A simulated, live Catalyst fleet writing real files into a catalyst dir. */
export interface DemoFleet {
  /** The catalyst dir the fleet writes (absolute). */
  readonly dir: string;
  /** The jobs root of the simulated execution-core phases (pass it to the monitor as `--jobs-dir`). */
  readonly jobsDir: string;
  /** Create the initial files; resolves once the first orchestrators and their workers exist. */
  start(): Promise<void>;
  /** Kill and reap every child process, stop writing, and remove the dir if the fleet created it. */
  stop(): Promise<void>;
}

// Ticks to leave finished orchestrations on screen before archiving them and starting anew.
const LINGER_TICKS = 6;
// The top-level entries the fleet may create in a dir it was handed (FORMATS §1.1).
const OWN_ENTRIES = [
  "runs",
  "wt",
  "events",
  "history",
  "execution-core",
  "state.json",
  "state.json.tmp",
  "state.json.lock",
];

/** Create a demo fleet. It writes nothing until `start()`; only the default temp dir is made at once. */
export function createDemoFleet(options: DemoFleetOptions = {}): DemoFleet {
  const tickMs = Math.max(1, options.tickMs ?? 1500);
  const loop = options.loop ?? true;
  const orchestrators = options.orchestrators ?? 3;
  const workersPerOrchestrator = options.workersPerOrchestrator ?? 6;
  const onError = options.onError ?? (() => {});
  // Made here so `dir` is right from the start; stop() removes it even if start() never ran.
  const dir =
    options.dir === undefined ? mkdtempSync(join(tmpdir(), "catalyst-demo-")) : resolve(options.dir);
  let createdDir = options.dir === undefined;
  const createdJobsDir = options.jobsDir === undefined;
  const jobsDir =
    options.jobsDir === undefined
      ? mkdtempSync(join(tmpdir(), "catalyst-demo-jobs-"))
      : resolve(options.jobsDir);
  // Set once a handed-in dir was found empty: only then are its entries ours to remove.
  let claimedDir = false;

  const now = () => new Date();
  const random = createSeededRandom(options.seed ?? 7400);
  const planner = createFleetPlanner(random);
  const processes = createProcessPool(options.spawnProcess ?? spawnSleeper);
  const lineShapes = options.lineShapes ?? "mixed";
  const state = createGlobalStateWriter({ catalystDir: dir, now, lineShapes });
  // Long enough to outlive any worker's story; short enough that an orphan (the demo was
  // SIGKILLed) soon goes away on its own.
  const processLifetimeMs = Math.max(60_000, tickMs * 200);
  const core = createExecutionCoreSim({
    catalystDir: dir,
    jobsDir,
    tickets: options.executionCoreTickets ?? 6,
    random: createSeededRandom((options.seed ?? 7400) + 1),
    now,
  });

  let runs: OrchestrationRun[] = [];
  let lingered = 0;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();
  let starting: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  let stopped = false;

  async function prepareDir(): Promise<void> {
    if (createdDir) return;
    let entries: string[];
    try {
      entries = await readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      await mkdir(dir, { recursive: true });
      createdDir = true;
      return;
    }
    // Never write a simulated fleet into a real catalyst dir.
    if (entries.length > 0) throw new DemoDirNotEmptyError(dir, entries);
    claimedDir = true;
  }

  async function startGeneration(): Promise<void> {
    const plans = planner.planGeneration({ orchestrators, workersPerOrchestrator, day: formatUtcDay(now()) });
    runs = plans.map((plan) =>
      createOrchestrationRun(plan, {
        catalystDir: dir,
        random,
        state,
        processes,
        now,
        processLifetimeMs,
        lineShapes,
      }),
    );
    lingered = 0;
    for (const run of runs) await run.start();
  }

  /** One step: every orchestration advances; a finished fleet lingers, then starts over (or rests). */
  async function step(): Promise<boolean> {
    await core.tick();
    for (const run of runs) {
      if (stopped) return false;
      await run.tick();
    }
    if (!runs.every((run) => run.isComplete())) return true;
    if (!loop) return false;
    lingered++;
    if (lingered < LINGER_TICKS) return true;
    for (const run of runs) await run.teardown();
    if (stopped) return false;
    await startGeneration();
    return true;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      current = step().then(
        (again) => {
          if (again) schedule();
        },
        (error: unknown) => {
          onError(error);
          schedule();
        },
      );
    }, tickMs);
  }

  return {
    dir,
    jobsDir,
    start() {
      if (stopped && starting === undefined) return Promise.reject(new DemoFleetStoppedError(dir));
      starting ??= (async () => {
        await prepareDir();
        await state.init();
        await core.start();
        await startGeneration();
        schedule();
      })();
      return starting;
    },
    stop() {
      stopping ??= (async () => {
        stopped = true;
        clearTimeout(timer);
        await starting?.catch(() => {});
        clearTimeout(timer);
        await current;
        await processes.stopAll();
        if (createdJobsDir) await rm(jobsDir, { recursive: true, force: true });
        if (createdDir) {
          await rm(dir, { recursive: true, force: true });
        } else if (claimedDir) {
          for (const entry of OWN_ENTRIES) await rm(join(dir, entry), { recursive: true, force: true });
        }
      })();
      return stopping;
    },
  };
}
