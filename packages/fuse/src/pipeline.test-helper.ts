// Builders for execution-core and overlay inputs: phase files go through the real parser.
import {
  type FuseInput,
  type LivenessResult,
  type OrchestratorRef,
  parsePhaseSignalText,
} from "@catalyst/schema";
import { DIR } from "./inputs.test-helper.js";

export const EC = "execution-core";

export function executionCoreAdded(id = EC): FuseInput {
  const orchestrator: OrchestratorRef = {
    id,
    workspace: "default",
    path: `${DIR}/execution-core`,
    source: "execution-core",
  };
  return { kind: "orchestrator-added", orchestrator };
}

/** A phase file read from an object (or raw text), `phase-<phase>.json` of `ticket`. */
export function phaseFile(
  ticket: string,
  phase: string,
  fields: Record<string, unknown> | string,
  orchestrator = EC,
): FuseInput {
  const file = `${DIR}/${orchestrator}/workers/${ticket}/phase-${phase}.json`;
  const text =
    typeof fields === "string" ? fields : JSON.stringify({ ticket, phase, orchestrator: ticket, ...fields });
  return {
    kind: "phase-signal",
    orchestrator,
    ticket,
    phase,
    file,
    result: parsePhaseSignalText(text, file),
  };
}

export function phaseRemoved(ticket: string, phase: string, orchestrator = EC): FuseInput {
  return {
    kind: "phase-signal-removed",
    orchestrator,
    ticket,
    phase,
    file: `${DIR}/${orchestrator}/workers/${ticket}/phase-${phase}.json`,
  };
}

export function jobAnswer(
  ticket: string,
  jobId: string,
  reason: "job-alive" | "job-dead" | "job-blocked",
  checkedAt = "2026-08-20T13:02:00.000Z",
): FuseInput {
  const result: LivenessResult = {
    pid: null,
    alive: reason === "job-alive" ? true : reason === "job-dead" ? false : null,
    reason,
    checkedAt,
    jobId,
  };
  return { kind: "liveness", orchestrator: EC, worker: ticket, result };
}

// FORMATS-TODAY §3.6, composed phase-file examples (host id filled in).
export const CTL_412_IMPLEMENT = {
  ticket: "CTL-412",
  phase: "implement",
  orchestrator: "CTL-412",
  model: "opus",
  executor: "bg",
  turnCap: 400,
  status: "running",
  bg_job_id: "5e0c9a7f",
  worktreePath: "/Users/dev/catalyst/wt/catalyst/CTL-412",
  generation: 2,
  attempt: 2,
  startedAt: "2026-08-20T13:01:00Z",
  updatedAt: "2026-08-20T13:01:09Z",
  host: { name: "mini", id: "0123456789abcdef" },
};
export const CTL_412_PLAN = {
  ticket: "CTL-412",
  phase: "plan",
  orchestrator: "CTL-412",
  model: "sonnet",
  executor: "bg",
  turnCap: 200,
  status: "done",
  bg_job_id: "a9b8c7d6",
  worktreePath: "/Users/dev/catalyst/wt/catalyst/CTL-412",
  generation: 1,
  attempt: 1,
  startedAt: "2026-08-20T12:30:00Z",
  updatedAt: "2026-08-20T12:55:40Z",
  completedAt: "2026-08-20T12:55:40Z",
  failureReason: null,
  assertedBy: "phase-agent-emit-complete",
  handoffPath: "/Users/dev/catalyst/wt/catalyst/CTL-412/thoughts/shared/plans/2026-08-20-CTL-412.md",
  host: { name: "mini", id: "0123456789abcdef" },
};
export const CTL_415_VERIFY = {
  ticket: "CTL-415",
  phase: "verify",
  orchestrator: "CTL-415",
  model: "opus",
  executor: "sdk",
  turnCap: 300,
  status: "needs-input",
  bg_job_id: null,
  generation: 1,
  attempt: 1,
  startedAt: "2026-08-21T08:00:00Z",
  updatedAt: "2026-08-21T08:20:00Z",
  parkedFrom: "verify",
  needsHumanSince: "2026-08-21T08:20:00Z",
  assertedBy: "phase-agent-emit-complete",
};
export const CTL_416_RESEARCH = {
  ticket: "CTL-416",
  phase: "research",
  orchestrator: "CTL-416",
  model: "opus",
  executor: "sdk",
  turnCap: 200,
  status: "failed",
  outcome: "abandoned",
  failureReason: "ended-without-declaration",
  assertedBy: "sdk-abandoned",
  startedAt: "2026-08-21T09:00:00Z",
  updatedAt: "2026-08-21T09:40:00Z",
  phaseTimestamps: { failed: "2026-08-21T09:40:00Z" },
};
