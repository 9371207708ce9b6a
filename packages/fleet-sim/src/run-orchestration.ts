import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { phaseOfStatus, WORKER_LIFECYCLE } from "@catalyst/schema";
import { appendEventLine, buildEventLine, createLineShaper, type LineShapes } from "./append-event.js";
import type { GlobalStateWriter, JsonObject } from "./global-state-writer.js";
import { formatIsoSeconds } from "./iso-seconds.js";
import type { PlannedOrchestration, PlannedWorker } from "./plan-fleet.js";
import type { SeededRandom } from "./seeded-random.js";
import type { ProcessPool } from "./worker-processes.js";
import { writeJsonAtomic } from "./write-json-file.js";

export { WORKER_LIFECYCLE };

// Pacing, in ticks. A worker advances with ADVANCE_CHANCE per tick, and always after
// MAX_TICKS_IN_STATUS ticks, so every worker finishes within a bounded number of ticks.
const ADVANCE_CHANCE = 0.45;
const MAX_TICKS_IN_STATUS = 4;
const STALL_ATTENTION_AFTER_TICKS = 2;
// Long enough at the default pace (12 s) for a 5 s liveness poll to see the dead pid.
const REVIVE_AFTER_TICKS = 8;
const HEARTBEAT_EVERY_TICKS = 5;

/** What an orchestration run needs from the fleet around it. */
export interface OrchestrationDeps {
  catalystDir: string;
  random: SeededRandom;
  state: GlobalStateWriter;
  processes: ProcessPool;
  now: () => Date;
  /** How long a stand-in worker process lives at most if nobody ends it. */
  processLifetimeMs: number;
  /** Which event-line shapes the run writes. @default "v1" */
  lineShapes?: LineShapes;
}

/** One simulated orchestration: an orchestrator dir, its waves and its workers. */
export interface OrchestrationRun {
  readonly plan: PlannedOrchestration;
  /** Absolute path of the orchestrator directory (the one holding `workers/`). */
  readonly dir: string;
  /** Register, write the local state and dispatch wave 1. */
  start(): Promise<void>;
  /** Advance the simulation by one step. */
  tick(): Promise<void>;
  /** True once every wave has settled and `orchestrator-completed` was logged. */
  isComplete(): boolean;
  /** Archive the global entry and remove the orchestrator directory (worktree teardown). */
  teardown(): Promise<void>;
}

interface Usage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheCreationTokens: number;
  costUSD: number;
  numTurns: number;
  durationMs: number;
  durationApiMs: number;
  model: string | null;
}

interface WorkerRun {
  plan: PlannedWorker;
  status: string;
  ticksInStatus: number;
  pid: number | null;
  /** The process is gone while the worker still has work to do. */
  dead: boolean;
  deadTicks: number;
  crashed: boolean;
  attentionOpen: boolean;
  reviveCount: number;
  prNumber: number | null;
  signal: JsonObject;
  usage: Usage;
}

const TERMINAL = new Set(["done", "failed"]);

function zeroUsage(): Usage {
  return {
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheCreationTokens: 0,
    costUSD: 0,
    numTurns: 0,
    durationMs: 0,
    durationApiMs: 0,
    model: null,
  };
}

function emptyDefinitionOfDone(): JsonObject {
  return {
    testsWrittenFirst: false,
    unitTests: { exists: false, count: 0 },
    apiTests: { exists: false, count: 0 },
    functionalTests: { exists: false, count: 0 },
    typeCheck: { passed: false },
    securityReview: { passed: false },
    codeReview: { passed: false },
    rewardHackingScan: { passed: false },
  };
}

function roundCents(value: number): number {
  return Math.round(value * 100) / 100;
}

/** Create the run of one planned orchestration. Nothing touches the disk until `start()`. */
export function createOrchestrationRun(
  plan: PlannedOrchestration,
  deps: OrchestrationDeps,
): OrchestrationRun {
  const { catalystDir, random, state, processes, now } = deps;
  const dir = join(catalystDir, ...plan.relativeDir.split("/"));
  const workersDir = join(dir, "workers");
  const worktreeBase = join(catalystDir, "wt", plan.projectKey);
  const workers = new Map<string, WorkerRun>();
  let startedAt = "";
  let currentWave = 1;
  let nextPr = plan.firstPrNumber;
  let ticks = 0;
  let complete = false;
  const waveStatus = new Map<number, { status: string; completedAt?: string }>();

  for (const worker of plan.workers) {
    workers.set(worker.ticket, {
      plan: worker,
      status: "dispatched",
      ticksInStatus: 0,
      pid: null,
      dead: false,
      deadTicks: 0,
      crashed: false,
      attentionOpen: false,
      reviveCount: 0,
      prNumber: null,
      signal: {},
      usage: zeroUsage(),
    });
  }

  const shaper = createLineShaper(deps.lineShapes ?? "v1");
  const log = (at: Date, worker: string | null, event: string, detail: JsonObject | null = null) =>
    appendEventLine(catalystDir, at, buildEventLine(at, plan.id, worker, event, detail), shaper);

  const writeSignal = (w: WorkerRun) => writeJsonAtomic(join(workersDir, `${w.plan.ticket}.json`), w.signal);

  function localState(): JsonObject {
    // The orchestrate skill's shape (FORMATS §3.6); it has no `id`, readers use the dir name.
    return {
      orchestrator: plan.id,
      startedAt,
      baseBranch: plan.baseBranch,
      totalTickets: plan.workers.length,
      totalWaves: plan.waves.length,
      currentWave,
      worktreeBase,
      waves: plan.waves.map((wave) => {
        const current = waveStatus.get(wave.wave);
        return {
          wave: wave.wave,
          status: current?.status ?? "blocked",
          tickets: wave.tickets,
          ...(current?.completedAt ? { completedAt: current.completedAt } : {}),
          ...(wave.dependsOn.length > 0 ? { dependsOn: wave.dependsOn } : {}),
        };
      }),
      workers: {},
    };
  }

  const writeLocalState = () => writeJsonAtomic(join(dir, "state.json"), localState());

  function onUnexpectedExit(w: WorkerRun, pid: number): void {
    // Something outside the demo ended the process: treat it like a crash, revive it later.
    if (w.pid === pid && !TERMINAL.has(w.status)) w.dead = true;
  }

  function spawnFor(w: WorkerRun): number {
    const pid = processes.spawn(deps.processLifetimeMs, (exited) => onUnexpectedExit(w, exited));
    w.pid = pid;
    return pid;
  }

  function endProcess(w: WorkerRun): void {
    if (w.pid !== null) processes.kill(w.pid);
  }

  function growUsage(w: WorkerRun): void {
    const input = random.int(2_000, 9_000);
    const output = random.int(800, 4_000);
    const cacheRead = random.int(5_000, 30_000);
    const u = w.usage;
    u.inputTokens += input;
    u.outputTokens += output;
    u.cacheReadTokens += cacheRead;
    u.cacheCreationTokens += Math.round(input / 4);
    u.numTurns += random.int(3, 12);
    u.durationMs += random.int(40_000, 180_000);
    u.durationApiMs = Math.round(u.durationMs * 0.7);
    u.costUSD = roundCents((u.inputTokens * 3 + u.outputTokens * 15 + u.cacheReadTokens * 0.3) / 1_000_000);
    u.model = "claude-sonnet-4-5";
  }

  /** The worker's phase helper (FORMATS §2.1 step 3): signal first, then global state. */
  async function setStatus(
    w: WorkerRun,
    to: string,
    at: Date,
    edit?: (signal: JsonObject, stamp: string) => void,
    editGlobal?: (worker: JsonObject, stamp: string) => void,
  ): Promise<string> {
    const stamp = formatIsoSeconds(at);
    const from = w.status;
    const signal = w.signal;
    signal.status = to;
    signal.phase = phaseOfStatus(to) ?? (signal.phase as number);
    signal.updatedAt = stamp;
    signal.lastHeartbeat = stamp;
    const stamps = (signal.phaseTimestamps as JsonObject | undefined) ?? {};
    stamps[to] = stamp;
    signal.phaseTimestamps = stamps;
    growUsage(w);
    signal.cost = { ...w.usage };
    if (to === "done" || to === "failed") signal.completedAt = stamp;
    edit?.(signal, stamp);
    w.status = to;
    w.ticksInStatus = 0;
    await writeSignal(w);
    await state.worker(plan.id, w.plan.ticket, (entry, s) => {
      entry.status = to;
      entry.phase = signal.phase;
      editGlobal?.(entry, s);
    });
    return from;
  }

  async function dispatch(w: WorkerRun): Promise<void> {
    const at = now();
    const stamp = formatIsoSeconds(at);
    const workerName = `${plan.id}-${w.plan.ticket}`;
    // Example A of FORMATS §2.8, then the pid and heartbeat added right after launch.
    w.signal = {
      ticket: w.plan.ticket,
      orchestrator: plan.id,
      workerName,
      status: "dispatched",
      phase: 0,
      startedAt: stamp,
      updatedAt: stamp,
      worktreePath: join(worktreeBase, workerName),
      pr: null,
      linearState: null,
      definitionOfDone: emptyDefinitionOfDone(),
    };
    await writeSignal(w);
    w.signal.pid = spawnFor(w);
    w.signal.lastHeartbeat = w.signal.updatedAt;
    await writeSignal(w);
    await state.worker(plan.id, w.plan.ticket, (entry) => {
      entry.status = "dispatched";
      entry.phase = 0;
      entry.branch = workerName;
    });
    await log(at, w.plan.ticket, "worker-dispatched");
    await state.update(plan.id, (entry) => {
      const progress = entry.progress as JsonObject;
      progress.inProgressTickets = (progress.inProgressTickets as number) + 1;
    });
  }

  async function startWave(wave: number): Promise<void> {
    const at = now();
    currentWave = wave;
    waveStatus.set(wave, { status: "in_progress" });
    await writeLocalState();
    await state.update(plan.id, (entry) => {
      (entry.progress as JsonObject).currentWave = wave;
    });
    const tickets = plan.waves.find((w) => w.wave === wave)?.tickets ?? [];
    await log(at, null, "wave-started", { wave, tickets });
    for (const ticket of tickets) await dispatch(workers.get(ticket)!);
  }

  async function settle(w: WorkerRun, outcome: "done" | "failed"): Promise<void> {
    endProcess(w);
    const usage = { ...w.usage };
    await state.update(plan.id, (entry) => {
      const progress = entry.progress as JsonObject;
      progress.inProgressTickets = Math.max(0, (progress.inProgressTickets as number) - 1);
      const key = outcome === "done" ? "completedTickets" : "failedTickets";
      progress[key] = (progress[key] as number) + 1;
      // Orchestrator usage is the sum of its workers' usage (FORMATS §3.5).
      const total = (entry.usage as JsonObject | undefined) ?? {};
      for (const [name, value] of Object.entries(usage)) {
        if (typeof value === "number") total[name] = roundCents(((total[name] as number) ?? 0) + value);
      }
      total.model = usage.model;
      entry.usage = total;
    });
  }

  async function fail(w: WorkerRun, reason: string): Promise<void> {
    const at = now();
    const from = await setStatus(w, "failed", at, (signal) => {
      signal.error = reason;
    });
    await log(at, w.plan.ticket, "worker-status-change", { from, to: "failed" });
    await log(at, w.plan.ticket, "worker-failed", { reason });
    await settle(w, "failed");
    // A failed worker raises a waiting-for-user attention item (FORMATS §2.3).
    await state.attention(plan.id, "waiting-for-user", w.plan.ticket, `${w.plan.ticket} failed: ${reason}`);
  }

  async function openPr(w: WorkerRun): Promise<void> {
    const at = now();
    const stamp = formatIsoSeconds(at);
    const number = nextPr++;
    const url = `https://github.com/${plan.repository}/pull/${number}`;
    w.prNumber = number;
    // Set by a direct jq edit, not the phase helper: no updatedAt, no phaseTimestamps entry (§2.8 C).
    const pr = {
      number,
      url,
      ciStatus: "pending",
      prOpenedAt: stamp,
      autoMergeArmedAt: null,
      mergedAt: null,
    };
    w.signal.pr = { ...pr };
    w.signal.status = "pr-created";
    w.signal.linearState = "In Review";
    w.status = "pr-created";
    w.ticksInStatus = 0;
    await writeSignal(w);
    await state.worker(plan.id, w.plan.ticket, (entry) => {
      entry.status = "pr-created";
      entry.phase = 5;
      entry.pr = { ...pr };
    });
    await log(at, w.plan.ticket, "worker-pr-created", { pr: number, url });
  }

  async function markCiPassing(w: WorkerRun): Promise<void> {
    const at = now();
    const pr = w.signal.pr as JsonObject;
    pr.ciStatus = "passing";
    w.ticksInStatus = 0;
    await writeSignal(w);
    await state.worker(plan.id, w.plan.ticket, (entry) => {
      (entry.pr as JsonObject).ciStatus = "passing";
    });
    await log(at, w.plan.ticket, "verification-started");
  }

  async function merge(w: WorkerRun): Promise<void> {
    const at = now();
    const stamp = formatIsoSeconds(at);
    const from = await setStatus(
      w,
      "done",
      at,
      (signal) => {
        const pr = signal.pr as JsonObject;
        pr.ciStatus = "merged";
        pr.mergedAt = stamp;
        signal.linearState = "Done";
      },
      (entry) => {
        const pr = entry.pr as JsonObject;
        pr.ciStatus = "merged";
        pr.mergedAt = stamp;
        entry.usage = { ...w.usage };
      },
    );
    await log(at, w.plan.ticket, "worker-pr-merged", { pr: w.prNumber, mergedAt: stamp });
    await log(at, w.plan.ticket, "worker-status-change", { from, to: "done" });
    await log(at, w.plan.ticket, "worker-done");
    await settle(w, "done");
  }

  async function advance(w: WorkerRun, to: string): Promise<void> {
    const at = now();
    const from = await setStatus(w, to, at, (signal) => {
      const dod = signal.definitionOfDone as JsonObject;
      if (to === "researching") signal.linearState = "In Progress";
      if (to === "implementing") {
        dod.testsWrittenFirst = true;
        dod.unitTests = { exists: true, count: random.int(3, 15) };
      }
      if (to === "validating") {
        dod.apiTests = { exists: true, count: random.int(1, 5) };
        dod.typeCheck = { passed: true };
      }
      if (to === "shipping") {
        dod.securityReview = { passed: true };
        dod.codeReview = { passed: true, findings: random.int(0, 3) };
        dod.rewardHackingScan = { passed: true, violations: 0 };
      }
    });
    await log(at, w.plan.ticket, "worker-status-change", { from, to });
  }

  async function crash(w: WorkerRun): Promise<void> {
    // A real death: the monitor sees the pid go away with `kill -0`; the signal file stays as is.
    w.crashed = true;
    w.dead = true;
    if (w.pid !== null) processes.kill(w.pid, "SIGKILL");
  }

  async function revive(w: WorkerRun): Promise<void> {
    const at = now();
    const stamp = formatIsoSeconds(at);
    w.reviveCount++;
    w.signal.pid = spawnFor(w);
    // A revive is a fresh launch. Liveness checkers treat a process that started well after
    // `startedAt` as a reused pid, so the relaunch restamps it like a dispatch would.
    w.signal.startedAt = stamp;
    w.signal.lastHeartbeat = stamp;
    w.signal.reviveCount = w.reviveCount;
    w.signal.lastReviveReason = "pid-dead";
    w.dead = false;
    w.deadTicks = 0;
    w.ticksInStatus = 0;
    await writeSignal(w);
    await log(at, w.plan.ticket, "worker-revived", { reason: "pid-dead", reviveCount: w.reviveCount });
    if (w.attentionOpen) {
      w.attentionOpen = false;
      await state.resolveAttention(plan.id, w.plan.ticket);
    }
  }

  async function tickWorker(w: WorkerRun): Promise<void> {
    if (w.dead) {
      w.deadTicks++;
      if (w.deadTicks === STALL_ATTENTION_AFTER_TICKS) {
        w.attentionOpen = true;
        await state.attention(
          plan.id,
          "stalled",
          w.plan.ticket,
          `No progress from ${w.plan.ticket}: its worker process exited during ${w.status}`,
        );
      }
      if (w.deadTicks >= REVIVE_AFTER_TICKS) await revive(w);
      return;
    }
    // One draw per live worker per tick, whatever happens next, keeps the seed's story stable.
    const roll = random.next();
    w.ticksInStatus++;
    if (roll >= ADVANCE_CHANCE && w.ticksInStatus < MAX_TICKS_IN_STATUS) return;
    const fate = w.plan.fate;
    if (fate.kind === "crash" && !w.crashed && w.status === fate.atStatus) return crash(w);
    if (fate.kind === "fail" && w.status === fate.atStatus) return fail(w, fate.reason);
    switch (w.status) {
      case "shipping":
        return openPr(w);
      case "pr-created":
        if ((w.signal.pr as JsonObject).ciStatus === "pending") return markCiPassing(w);
        await log(now(), w.plan.ticket, "verification-passed");
        return advance(w, "merging");
      case "merging":
        return merge(w);
      default: {
        const next = WORKER_LIFECYCLE[WORKER_LIFECYCLE.indexOf(w.status as never) + 1];
        if (next) await advance(w, next);
      }
    }
  }

  async function finishWaveIfSettled(): Promise<void> {
    const wave = plan.waves.find((w) => w.wave === currentWave);
    if (!wave) return;
    if (!wave.tickets.every((t) => TERMINAL.has(workers.get(t)!.status))) return;
    const at = now();
    const stamp = formatIsoSeconds(at);
    const anyDone = wave.tickets.some((t) => workers.get(t)!.status === "done");
    waveStatus.set(wave.wave, { status: anyDone ? "complete" : "failed", completedAt: stamp });
    await writeLocalState();
    // The SEED's contract: logged when the last ticket of a wave settles, before the next
    // wave starts (FORMATS §4.4 notes). `tickets` is our addition, as there.
    await log(at, null, "wave-completed", { wave: wave.wave, tickets: wave.tickets });
    if (wave.wave < plan.waves.length) {
      await startWave(wave.wave + 1);
      return;
    }
    await state.update(plan.id, (entry, s) => {
      entry.status = "completed";
      entry.completedAt = s;
      (entry.progress as JsonObject).inProgressTickets = 0;
    });
    await log(at, null, "orchestrator-completed");
    complete = true;
  }

  return {
    plan,
    dir,
    async start() {
      const at = now();
      startedAt = formatIsoSeconds(at);
      // ensure-run-dir creates workers/output too (FORMATS §1.2).
      await mkdir(join(workersDir, "output"), { recursive: true });
      const registered: JsonObject = {};
      for (const w of plan.workers) {
        registered[w.ticket] = {
          ticketId: w.ticket,
          title: w.title,
          status: "dispatched",
          phase: 0,
          branch: null,
          pr: null,
          updatedAt: startedAt,
          needsAttention: false,
          attentionReason: null,
        };
      }
      await state.register(plan.id, {
        id: plan.id,
        projectKey: plan.projectKey,
        repository: plan.repository,
        baseBranch: plan.baseBranch,
        status: "active",
        startedAt,
        worktreeDir: dir,
        stateFile: join(dir, "state.json"),
        progress: {
          totalTickets: plan.workers.length,
          completedTickets: 0,
          failedTickets: 0,
          inProgressTickets: 0,
          currentWave: 1,
          totalWaves: plan.waves.length,
        },
        usage: zeroUsage(),
        workers: registered,
        attention: [],
      });
      await startWave(1);
    },
    async tick() {
      if (complete) return;
      ticks++;
      const wave = plan.waves.find((w) => w.wave === currentWave);
      for (const ticket of wave?.tickets ?? []) {
        const w = workers.get(ticket)!;
        if (!TERMINAL.has(w.status)) await tickWorker(w);
      }
      await finishWaveIfSettled();
      if (!complete && ticks % HEARTBEAT_EVERY_TICKS === 0) await state.heartbeat(plan.id);
    },
    isComplete: () => complete,
    async teardown() {
      for (const w of workers.values()) endProcess(w);
      await state.archive(plan.id);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
