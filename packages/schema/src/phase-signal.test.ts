import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  columnOfPhase,
  PIPELINE_PHASES,
  parseJobStateText,
  parsePhaseSignalText,
  parseSignalText,
} from "./index.js";

const anchor = join(
  import.meta.dirname,
  "..",
  "..",
  "..",
  "..",
  "shared",
  "fixtures",
  "anchor",
  "head-50606136",
);

// FORMATS-TODAY §3.6, composed examples.
const CTL_412_IMPLEMENT = `{"ticket":"CTL-412","phase":"implement","orchestrator":"CTL-412","model":"opus","executor":"bg","turnCap":400,"status":"running","bg_job_id":"5e0c9a7f","worktreePath":"/Users/dev/catalyst/wt/catalyst/CTL-412","generation":2,"attempt":2,"startedAt":"2026-08-20T13:01:00Z","updatedAt":"2026-08-20T13:01:09Z","host":{"name":"mini","id":"0123456789abcdef"}}`;

describe("phase signal files (FORMATS-TODAY §3.2)", () => {
  it("R3.1/R3.3 the §3.6 example parses with its runtime fields kept", () => {
    const r = parsePhaseSignalText(CTL_412_IMPLEMENT, "phase-implement.json");
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({
      ticket: "CTL-412",
      status: "running",
      bg_job_id: "5e0c9a7f",
      generation: 2,
    });
    expect(r.value.host?.name).toBe("mini");
    expect(r.value.executor).toBe("bg");
  });

  it("R3.4 a phase file without the schema's required fields is read (monitor-deploy, pre-3ebbf304)", () => {
    const r = parsePhaseSignalText(
      '{"ticket":"CTL-9","generation":0,"deploy_sha":"abc","deploy_state":"pending"}',
      "phase-monitor-deploy.json",
    );
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value.status).toBeUndefined();
  });

  it("R3.6 statuses beyond the schema enum are kept verbatim", () => {
    for (const status of ["needs-input", "preempted", "aborted", "needs-human", "held"]) {
      const r = parsePhaseSignalText(`{"ticket":"CTL-1","phase":"plan","status":"${status}"}`);
      expect(r.ok && r.value.status).toBe(status);
    }
  });

  it("a bad field is dropped with a warning naming the file and field; torn text is an issue", () => {
    const r = parsePhaseSignalText(
      '{"ticket":"CTL-1","status":"running","turnCap":"lots"}',
      "phase-plan.json",
    );
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.value.turnCap).toBeUndefined();
      expect(r.warnings?.[0]?.message).toContain("phase-plan.json");
      expect(r.warnings?.[0]?.path).toBe("$.turnCap");
    }
    const torn = parsePhaseSignalText('{"ticket":"CTL-1","sta', "phase-plan.json");
    expect(torn.ok).toBe(false);
    if (!torn.ok) expect(torn.error.message).toContain("phase-plan.json");
  });

  it("the anchor phase-signal schema's required fields and phase enum match our order", () => {
    const schema = JSON.parse(readFileSync(join(anchor, "phase-signal.schema.json"), "utf8")) as {
      properties: { phase: { enum: string[] } };
    };
    expect(schema.properties.phase.enum.filter((p) => p !== "remediate")).toEqual([...PIPELINE_PHASES]);
  });

  it("R3.12 PHASE_TO_LINEAR columns, Research for anything unmapped", () => {
    expect(columnOfPhase("verify")).toBe("Validate");
    expect(columnOfPhase("remediate")).toBe("Validate");
    expect(columnOfPhase("monitor-merge")).toBe("PR");
    expect(columnOfPhase("teardown")).toBe("Done");
    expect(columnOfPhase("done")).toBe("Done");
    expect(columnOfPhase("recovery-pass")).toBe("Research");
  });

  it("job state.json: state and firstTerminalAt are read, the rest kept", () => {
    const r = parseJobStateText('{"state":"working","name":"o-CTL-1:CTL-1:plan:1","cwd":"/w"}');
    expect(r.ok && r.value.state).toBe("working");
  });
});

describe("worker signal fields since the seed (FORMATS-TODAY §2.2, R2.4, R2.11)", () => {
  const base = {
    ticket: "CTL-33",
    orchestrator: "o",
    workerName: "w",
    phase: 3,
    startedAt: "2026-08-20T10:00:00Z",
  };

  it("R2.3 the new template fields and status turn-cap-exhausted are kept", () => {
    const r = parseSignalText(
      JSON.stringify({
        ...base,
        status: "turn-cap-exhausted",
        wave: 2,
        label: "oneshot CTL-33",
        blockedSince: "2026-08-20T11:00:00Z",
        fixupAttempts: 1,
        continuationCount: 1,
        continuations: [{ ts: "2026-08-20T11:00:00Z", sessionId: "s1", handoffPath: "/h.md" }],
        handoffPath: "/h.md",
        postMergeVerification: {
          result: "passed",
          verifiedAt: "2026-08-20T12:00:00Z",
          remediationTicket: null,
        },
        lastReviveReason: "heartbeat-stale",
      }),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.warnings ?? []).toEqual([]);
    expect(r.value).toMatchObject({
      status: "turn-cap-exhausted",
      wave: 2,
      continuationCount: 1,
      fixupAttempts: 1,
    });
    expect(r.value.postMergeVerification?.result).toBe("passed");
  });

  it("R2.4 statuses beyond the enum and code-written fields (deploy, stalledReason) are accepted", () => {
    for (const status of ["deploying", "deploy-failed", "merged", "superseded", "canceled", "in_progress"]) {
      const r = parseSignalText(
        JSON.stringify({
          ...base,
          status,
          stalledReason: "phantom-ticket",
          deploy: { environment: "prod", result: "failure", failedAttempts: 2 },
        }),
      );
      expect(r.ok && r.value.status).toBe(status);
      if (r.ok) expect(r.value.deploy?.result).toBe("failure");
    }
  });

  it("R2.11 a bad continuations entry or a negative continuationCount is dropped, not the file", () => {
    const r = parseSignalText(
      JSON.stringify({
        ...base,
        status: "implementing",
        continuationCount: -1,
        continuations: [{ ts: "x" }],
      }),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.continuationCount).toBeUndefined();
    expect(r.value.status).toBe("implementing");
    expect((r.warnings ?? []).map((w) => w.path)).toEqual(expect.arrayContaining(["$.continuationCount"]));
  });
});
