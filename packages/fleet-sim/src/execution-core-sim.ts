import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PIPELINE_PHASES } from "@catalyst/schema/constants";
import type { SeededRandom } from "./seeded-random.js";
import { renderJson } from "./write-json-file.js";

// The execution-core pipeline as today's Catalyst writes it (FORMATS-TODAY §3): one directory per
// ticket under `$CATALYST_DIR/execution-core/workers/`, one `phase-<phase>.json` per dispatched
// phase (dispatched → running with a bg job id → done), and a Claude Code job dir
// `<jobsDir>/<bg_job_id>/state.json` per running phase, in a jobs dir the simulation owns.

/** The pipeline order (R3.5). */
const PHASES = PIPELINE_PHASES;

/** How a simulated ticket's story goes. */
export type TicketFate = "ships" | "needs-input" | "fails" | "blocked" | "yields";

/** Where a fate stops the ticket (then it waits there until it is recycled). */
const STOP_PHASE: Record<Exclude<TicketFate, "ships">, string> = {
  "needs-input": "verify",
  fails: "research",
  blocked: "implement",
  yields: "plan",
};

// Ticks a stopped or finished ticket stays on screen before a new ticket takes its slot.
const HOLD_TICKS = 14;

interface SimTicket {
  ticket: string;
  fate: TicketFate;
  phase: number;
  /** `dispatched` or `running` of the current phase, `held` once its story stopped, `finished`. */
  stage: "dispatched" | "running" | "held" | "finished";
  jobId: string | null;
  held: number;
  startedAt: string;
  attempt: number;
}

/** Options of {@link createExecutionCoreSim}. */
export interface ExecutionCoreSimOptions {
  catalystDir: string;
  /** The jobs root the simulation writes `<bg_job_id>/state.json` into (never `~/.claude`). */
  jobsDir: string;
  tickets: number;
  random: SeededRandom;
  now: () => Date;
  /** Team key of the simulated tickets. @default "ECO" */
  team?: string;
}

/** The execution-core part of a demo fleet. */
export interface ExecutionCoreSim {
  start(): Promise<void>;
  tick(): Promise<void>;
}

function isoSeconds(date: Date): string {
  // execution-core's JS builders strip milliseconds (FORMATS-TODAY §0).
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** tmp + rename, with the writer's pid in the temp name as execution-core does (`*.tmp.<pid>`). */
async function writeAtomic(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.tmp.${process.pid}`;
  await writeFile(tmp, renderJson(value), "utf8");
  await rename(tmp, file);
}

/** Create the execution-core simulation; it writes nothing until `start()`. */
export function createExecutionCoreSim(options: ExecutionCoreSimOptions): ExecutionCoreSim {
  const { catalystDir, jobsDir, random, now } = options;
  const team = options.team ?? "ECO";
  const workers = join(catalystDir, "execution-core", "workers");
  const fates: TicketFate[] = ["ships", "needs-input", "fails", "ships", "blocked", "yields"];
  let serial = 100;
  const slots: SimTicket[] = [];

  const jobIdOf = (): string => random.int(0, 0xffffffff).toString(16).padStart(8, "0");

  function newTicket(slot: number): SimTicket {
    serial += 1;
    return {
      ticket: `${team}-${serial}`,
      fate: fates[slot % fates.length] as TicketFate,
      phase: 0,
      stage: "dispatched",
      jobId: null,
      held: 0,
      startedAt: isoSeconds(now()),
      attempt: 1,
    };
  }

  async function writeJob(jobId: string, state: string, ticket: string, phase: string): Promise<void> {
    const dir = join(jobsDir, jobId);
    await mkdir(dir, { recursive: true });
    await writeAtomic(join(dir, "state.json"), {
      state,
      sessionId: `00000000-0000-4000-8000-${jobId.padStart(12, "0")}`,
      cwd: `/sim/wt/${ticket}`,
      name: `o-${ticket}:${ticket}:${phase}:1`,
      ...(state === "done" || state === "failed" ? { firstTerminalAt: isoSeconds(now()) } : {}),
    });
  }

  async function writePhase(
    t: SimTicket,
    status: string,
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    const phase = PHASES[t.phase] as string;
    const stamp = isoSeconds(now());
    const dir = join(workers, t.ticket);
    await mkdir(dir, { recursive: true });
    await writeAtomic(join(dir, `phase-${phase}.json`), {
      ticket: t.ticket,
      phase,
      orchestrator: t.ticket,
      model: phase === "implement" || phase === "verify" ? "opus" : "sonnet",
      executor: "bg",
      turnCap: 200,
      status,
      bg_job_id: t.jobId,
      worktreePath: `/sim/wt/${t.ticket}`,
      generation: t.attempt,
      attempt: t.attempt,
      startedAt: t.startedAt,
      updatedAt: stamp,
      host: { name: "sim-host.local", id: "5151515151515151" },
      ...(phase === "pr" || phase === "monitor-merge"
        ? {
            pr: {
              number: 4000 + (serial % 1000),
              url: `https://github.com/acme/sim/pull/${4000 + (serial % 1000)}`,
            },
          }
        : {}),
      ...extra,
    });
  }

  async function dispatch(t: SimTicket): Promise<void> {
    t.stage = "dispatched";
    t.jobId = null;
    t.startedAt = isoSeconds(now());
    await writePhase(t, "dispatched");
  }

  async function advance(t: SimTicket, slot: number): Promise<void> {
    const phase = PHASES[t.phase] as string;
    if (t.stage === "held" || t.stage === "finished") {
      t.held += 1;
      if (t.held < HOLD_TICKS) return;
      await rm(join(workers, t.ticket), { recursive: true, force: true });
      const next = newTicket(slot);
      slots[slot] = next;
      await dispatch(next);
      return;
    }
    if (t.stage === "dispatched") {
      t.stage = "running";
      t.jobId = jobIdOf();
      await writeJob(t.jobId, "working", t.ticket, phase);
      await writePhase(t, "running");
      return;
    }
    // running: the phase ends, or the ticket's fate stops it here.
    if (t.fate !== "ships" && STOP_PHASE[t.fate] === phase) {
      t.stage = "held";
      const stamp = isoSeconds(now());
      if (t.fate === "needs-input") {
        await writePhase(t, "needs-input", {
          parkedFrom: phase,
          needsHumanSince: stamp,
          assertedBy: "phase-agent-emit-complete",
        });
        if (t.jobId) await writeJob(t.jobId, "done", t.ticket, phase);
      } else if (t.fate === "fails") {
        await writePhase(t, "failed", {
          completedAt: stamp,
          failureReason: "tests_failed",
          assertedBy: "phase-agent-emit-complete",
        });
        if (t.jobId) await writeJob(t.jobId, "failed", t.ticket, phase);
      } else if (t.fate === "blocked") {
        // Claude paused on a permission prompt: waiting on you, not dead (R3.19).
        if (t.jobId) await writeJob(t.jobId, "blocked", t.ticket, phase);
      } else {
        // A bounded self-wait, first declared long enough ago that its 30-minute bound has passed.
        const first = isoSeconds(new Date(now().getTime() - 31 * 60_000));
        await writePhase(t, "awaiting-work", { yieldedAt: first, firstYieldedAt: first, yieldMs: 1_800_000 });
      }
      return;
    }
    await writePhase(t, "done", {
      completedAt: isoSeconds(now()),
      failureReason: null,
      assertedBy: "phase-agent-emit-complete",
    });
    if (t.jobId) await writeJob(t.jobId, "done", t.ticket, phase);
    if (t.phase === PHASES.length - 1) {
      t.stage = "finished";
      return;
    }
    t.phase += 1;
    await dispatch(t);
  }

  return {
    async start() {
      await mkdir(workers, { recursive: true });
      await mkdir(jobsDir, { recursive: true });
      for (let slot = 0; slot < options.tickets; slot++) {
        const t = newTicket(slot);
        // Spread the starting tickets along the pipeline so every column has something at once.
        t.phase = t.fate === "fails" ? 0 : slot % 4;
        for (let p = 0; p < t.phase; p++) {
          const done = { ...t, phase: p };
          await writePhase(done, "done", { completedAt: isoSeconds(now()) });
        }
        slots.push(t);
        await dispatch(t);
      }
    },
    async tick() {
      for (let slot = 0; slot < slots.length; slot++) await advance(slots[slot] as SimTicket, slot);
    },
  };
}
