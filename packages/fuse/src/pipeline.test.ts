// Execution-core tickets as the HEAD board derives them (FORMATS-TODAY §3.4, §3.5), one test per rule.
// Fixtures are the §3.6 composed examples and phase files composed from the contract schema.
import type { FuseInput, PhaseSignal, WorkerView } from "@catalyst/schema";
import { describe, expect, it } from "vitest";
import {
  createFuse,
  createInitialState,
  deriveCurrentPhase,
  derivePipeline,
  type PhaseFiles,
  reduce,
} from "./index.js";
import {
  CTL_412_IMPLEMENT,
  CTL_412_PLAN,
  CTL_415_VERIFY,
  CTL_416_RESEARCH,
  EC,
  executionCoreAdded,
  jobAnswer,
  phaseFile,
  phaseRemoved,
} from "./pipeline.test-helper.js";

const NOW = new Date("2026-08-21T10:00:00.000Z");

function files(entries: Record<string, Partial<PhaseSignal> & Record<string, unknown>>): PhaseFiles {
  return entries as PhaseFiles;
}

function worker(
  inputs: FuseInput[],
  ticket: string,
  now = NOW,
): { view: WorkerView | undefined; fuse: ReturnType<typeof createFuse> } {
  const fuse = createFuse();
  fuse.apply([executionCoreAdded(), ...inputs], now);
  const orch = fuse.snapshot().orchestrators.find((o) => o.id === EC);
  return { view: orch?.workers[ticket], fuse };
}

describe("§3.6 examples", () => {
  it("CTL-412 → implement, column Implement", () => {
    const { view } = worker(
      [phaseFile("CTL-412", "plan", CTL_412_PLAN), phaseFile("CTL-412", "implement", CTL_412_IMPLEMENT)],
      "CTL-412",
    );
    expect(view?.pipeline).toMatchObject({
      phase: "implement",
      phaseStatus: "running",
      column: "Implement",
      host: "mini",
    });
    expect(view?.status).toBe("running");
    expect(view?.phase).toBe(3);
    expect(view?.phaseName).toBe("implement");
  });

  it("CTL-415 → verify (needs-input is not terminal), column Validate", () => {
    const { view } = worker([phaseFile("CTL-415", "verify", CTL_415_VERIFY)], "CTL-415");
    expect(view?.pipeline).toMatchObject({ phase: "verify", phaseStatus: "needs-input", column: "Validate" });
  });

  it("CTL-416 → research/failed, column Research, attention needs-human", () => {
    const { view } = worker([phaseFile("CTL-416", "research", CTL_416_RESEARCH)], "CTL-416");
    expect(view?.pipeline).toMatchObject({
      phase: "research",
      phaseStatus: "failed",
      column: "Research",
      attention: "needs-human",
    });
    expect(view?.error).toBe("ended-without-declaration");
  });
});

describe("R3.10 deriveCurrentPhase", () => {
  it("R3.10 the first non-terminal phase in pipeline order is current", () => {
    const got = deriveCurrentPhase(
      files({ plan: { status: "running" }, implement: { status: "running" }, research: { status: "done" } }),
    );
    expect(got).toMatchObject({ phase: "plan", status: "running" });
  });

  it("R3.10 a missing status counts as unknown, which is current", () => {
    expect(deriveCurrentPhase(files({ research: { status: "done" }, plan: {} }))).toMatchObject({
      phase: "plan",
      status: "unknown",
    });
  });

  it("R3.10 no phase files at all is (triage, unknown)", () => {
    expect(deriveCurrentPhase({})).toMatchObject({ phase: "triage", status: "unknown" });
  });

  it("R3.10 every phase terminal and the last failed: that phase", () => {
    expect(
      deriveCurrentPhase(files({ research: { status: "done" }, plan: { status: "failed" } })),
    ).toMatchObject({
      phase: "plan",
      status: "failed",
    });
  });

  it("R3.10 teardown terminal gives the synthetic phase done", () => {
    const got = derivePipeline(
      files({ pr: { status: "done" }, teardown: { status: "done", completedAt: "2026-08-21T09:00:00Z" } }),
    );
    expect(got.pipeline).toMatchObject({ phase: "done", column: "Done" });
    expect(got.status).toBe("done");
    expect(got.completedAt).toBe("2026-08-21T09:00:00Z");
  });

  it("R3.10 a gap stays at the last terminal phase (verify done, nothing later)", () => {
    const got = derivePipeline(files({ implement: { status: "done" }, verify: { status: "done" } }));
    expect(got.pipeline).toMatchObject({ phase: "verify", phaseStatus: "done", column: "Validate" });
    expect(got.status).toBe("between-phases");
  });

  it("R3.10 failureReason falls back to attentionReason, then stalledReason", () => {
    expect(
      deriveCurrentPhase(files({ plan: { status: "stalled", attentionReason: "claude-bg-empty-job-id" } }))
        .failureReason,
    ).toBe("claude-bg-empty-job-id");
    expect(
      deriveCurrentPhase(files({ plan: { status: "stalled", stalledReason: "phantom-ticket" } }))
        .failureReason,
    ).toBe("phantom-ticket");
  });

  it("R3.8 the board's terminal set is mirrored: turn-cap-exhausted is current, skipped is not", () => {
    expect(
      deriveCurrentPhase(files({ plan: { status: "turn-cap-exhausted" }, implement: { status: "running" } })),
    ).toMatchObject({
      phase: "plan",
    });
    expect(
      deriveCurrentPhase(files({ plan: { status: "skipped" }, implement: { status: "running" } })),
    ).toMatchObject({
      phase: "implement",
    });
  });
});

describe("R3.11 remediate overlay", () => {
  it("R3.11 a non-terminal remediate is the current phase", () => {
    const got = derivePipeline(
      files({
        verify: { status: "failed", updatedAt: "2026-08-21T09:00:00Z" },
        remediate: { status: "running" },
      }),
    );
    expect(got.pipeline).toMatchObject({ phase: "remediate", phaseStatus: "running", column: "Validate" });
  });

  it("R3.11 a terminal remediate newer than the current phase's file wins, an older one does not", () => {
    const verify = { status: "running", updatedAt: "2026-08-21T09:00:00Z" };
    expect(
      derivePipeline(files({ verify, remediate: { status: "done", updatedAt: "2026-08-21T09:30:00Z" } }))
        .pipeline.phase,
    ).toBe("remediate");
    expect(
      derivePipeline(files({ verify, remediate: { status: "done", updatedAt: "2026-08-21T08:30:00Z" } }))
        .pipeline.phase,
    ).toBe("verify");
  });

  it("R3.11 (R0.1) times are compared parsed, not as strings", () => {
    // Lexically "…09:00:00.500Z" < "…09:00:00Z"; as times the remediate file is newer.
    const got = derivePipeline(
      files({
        verify: { status: "running", updatedAt: "2026-08-21T09:00:00Z" },
        remediate: { status: "done", updatedAt: "2026-08-21T09:00:00.500Z" },
      }),
    );
    expect(got.pipeline.phase).toBe("remediate");
  });
});

describe("R3.12 columns", () => {
  it("R3.12 PHASE_TO_LINEAR maps each phase to its column and the worker's integer phase to its index", () => {
    const cases: Array<[string, string, number]> = [
      ["triage", "Triage", 0],
      ["research", "Research", 1],
      ["plan", "Plan", 2],
      ["implement", "Implement", 3],
      ["verify", "Validate", 4],
      ["review", "Validate", 4],
      ["pr", "PR", 5],
      ["monitor-merge", "PR", 5],
      ["monitor-deploy", "Done", 6],
    ];
    for (const [phase, column, index] of cases) {
      const got = derivePipeline(files({ [phase]: { status: "running" } }));
      expect([got.pipeline.column, got.columnIndex]).toEqual([column, index]);
    }
  });
});

describe("R3.14 attention", () => {
  it("R3.14 any phase failed or stalled while the ticket is not done asks for a human", () => {
    const got = derivePipeline(files({ research: { status: "stalled" }, plan: { status: "running" } }));
    expect(got.pipeline.attention).toBe("needs-human");
  });

  it("R3.14 a recovery-pass needs-human escalation asks for a human, anchored at the newest needsHumanSince", () => {
    const got = derivePipeline(
      files({
        implement: { status: "running" },
        "recovery-pass": { status: "needs-human", needsHumanSince: "2026-08-21T09:10:00Z" },
      }),
    );
    expect(got.pipeline).toMatchObject({ attention: "needs-human", attentionSince: "2026-08-21T09:10:00Z" });
  });

  it("R3.14 a blocked job is waiting-on-you, and needs-human beats it", () => {
    const running = { ...CTL_412_IMPLEMENT };
    const { view } = worker(
      [phaseFile("CTL-412", "implement", running), jobAnswer("CTL-412", "5e0c9a7f", "job-blocked")],
      "CTL-412",
    );
    expect(view?.pipeline).toMatchObject({ job: "waiting-on-you", attention: "waiting-on-you" });
    expect(view?.alive).toBeNull();
    const { view: both } = worker(
      [
        phaseFile("CTL-412", "implement", running),
        phaseFile("CTL-412", "research", { status: "failed" }),
        jobAnswer("CTL-412", "5e0c9a7f", "job-blocked"),
      ],
      "CTL-412",
    );
    expect(both?.pipeline?.attention).toBe("needs-human");
  });
});

describe("R3.15 derived fields", () => {
  it("R3.15 updatedAt is the newest updatedAt || completedAt of the pipeline files", () => {
    const got = derivePipeline(
      files({
        plan: { status: "done", completedAt: "2026-08-21T09:30:00Z" },
        implement: { status: "running", updatedAt: "2026-08-21T09:20:00Z" },
      }),
    );
    expect(got.updatedAt).toBe("2026-08-21T09:30:00Z");
  });

  it("R3.15 the PR is the first of phase-pr, monitor-merge, monitor-deploy", () => {
    const { view } = worker(
      [
        phaseFile("CTL-9", "monitor-merge", {
          status: "running",
          pr: { number: 8, url: "https://github.com/acme/api/pull/8" },
        }),
        phaseFile("CTL-9", "pr", {
          status: "done",
          pr: { number: 7, url: "https://github.com/acme/api/pull/7" },
        }),
      ],
      "CTL-9",
    );
    expect(view?.pr).toMatchObject({ number: 7, repo: "acme/api" });
  });

  it("R3.15 the host of the current signal is cut to its first label; else the latest terminal's", () => {
    expect(
      derivePipeline(files({ plan: { status: "running", host: { name: "mini.example.com", id: "x" } } }))
        .pipeline.host,
    ).toBe("mini");
    expect(derivePipeline(files({ plan: { status: "done", host: { name: "box.lan" } } })).pipeline.host).toBe(
      "box",
    );
  });

  it("R3.15 every phase's span is kept for the timeline, in pipeline order", () => {
    const { view } = worker(
      [phaseFile("CTL-412", "implement", CTL_412_IMPLEMENT), phaseFile("CTL-412", "plan", CTL_412_PLAN)],
      "CTL-412",
    );
    expect(view?.pipeline?.phases).toEqual([
      {
        phase: "plan",
        status: "done",
        startedAt: "2026-08-20T12:30:00Z",
        completedAt: "2026-08-20T12:55:40Z",
        updatedAt: "2026-08-20T12:55:40Z",
      },
      {
        phase: "implement",
        status: "running",
        startedAt: "2026-08-20T13:01:00Z",
        completedAt: null,
        updatedAt: "2026-08-20T13:01:09Z",
      },
    ]);
  });

  it("cost is summed over the phase files that carry one", () => {
    const { view } = worker(
      [
        phaseFile("CTL-5", "plan", { status: "done", cost: { costUSD: 1.5 } }),
        phaseFile("CTL-5", "implement", { status: "running", cost: { costUSD: 2 } }),
      ],
      "CTL-5",
    );
    expect(view?.cost?.costUSD).toBe(3.5);
  });
});

describe("R3.17–R3.19 liveness from the job state", () => {
  it("R3.17 no job id is unknown, never dead", () => {
    const { view } = worker([phaseFile("CTL-1", "plan", { status: "running", bg_job_id: null })], "CTL-1");
    expect(view?.pipeline?.job).toBe("unknown");
    expect(view?.alive).toBeNull();
  });

  it("R3.17 the camelCase bgJobId is read when bg_job_id is absent", () => {
    expect(derivePipeline(files({ plan: { status: "running", bgJobId: "0badc0de" } })).pipeline.jobId).toBe(
      "0badc0de",
    );
  });

  it("R3.18 a dead job of a running phase is dead and a needs-you row; an answer for another job is ignored", () => {
    const { view, fuse } = worker(
      [phaseFile("CTL-412", "implement", CTL_412_IMPLEMENT), jobAnswer("CTL-412", "5e0c9a7f", "job-dead")],
      "CTL-412",
    );
    expect(view?.pipeline?.job).toBe("dead");
    expect(view?.alive).toBe(false);
    expect(fuse.snapshot().needsYou.some((n) => n.worker === "CTL-412" && n.reason === "dead")).toBe(true);
    const { view: other } = worker(
      [phaseFile("CTL-412", "implement", CTL_412_IMPLEMENT), jobAnswer("CTL-412", "ffffffff", "job-dead")],
      "CTL-412",
    );
    expect(other?.pipeline?.job).toBe("unknown");
  });

  it("R3.18 a live job is alive, and a running phase with a job id is a liveness target", () => {
    const { view, fuse } = worker(
      [phaseFile("CTL-412", "implement", CTL_412_IMPLEMENT), jobAnswer("CTL-412", "5e0c9a7f", "job-alive")],
      "CTL-412",
    );
    expect(view?.alive).toBe(true);
    expect(fuse.targets().liveness).toEqual([
      {
        orchestrator: EC,
        worker: "CTL-412",
        pid: null,
        startedAt: "2026-08-20T13:01:00Z",
        jobId: "5e0c9a7f",
      },
    ]);
  });
});

describe("needs you", () => {
  it("needs-input, failed and corrupt phase files are rows; a ticket between phases is not stalled", () => {
    const fuse = createFuse();
    fuse.apply(
      [
        executionCoreAdded(),
        phaseFile("CTL-415", "verify", CTL_415_VERIFY),
        phaseFile("CTL-416", "research", CTL_416_RESEARCH),
        phaseFile("CTL-412", "plan", CTL_412_PLAN),
        phaseFile("CTL-420", "plan", '{"ticket":"CTL-420","sta'),
      ],
      NOW,
    );
    fuse.apply({ kind: "tick" }, new Date("2026-08-22T10:00:00Z"));
    const rows = fuse.snapshot().needsYou.map((n) => `${n.worker}:${n.reason}`);
    expect(rows).toEqual(expect.arrayContaining(["CTL-415:attention", "CTL-416:failed", "CTL-420:corrupt"]));
    expect(rows.filter((r) => r.startsWith("CTL-412"))).toEqual([]);
  });

  it("awaiting-work past its 30-minute bound from firstYieldedAt is a row; before it, none", () => {
    const fuse = createFuse();
    fuse.apply(
      [
        executionCoreAdded(),
        phaseFile("CTL-7", "implement", {
          status: "awaiting-work",
          firstYieldedAt: "2026-08-21T09:50:00Z",
          yieldMs: 3_600_000,
        }),
      ],
      NOW,
    );
    expect(fuse.snapshot().needsYou.filter((n) => n.worker === "CTL-7")).toEqual([]);
    fuse.apply({ kind: "tick" }, new Date("2026-08-21T10:21:00Z"));
    const rows = fuse.snapshot().needsYou.filter((n) => n.worker === "CTL-7");
    expect(rows.map((r) => r.reason)).toEqual(["stalled"]);
    expect(rows[0]?.since).toBe("2026-08-21T10:20:00.000Z");
  });
});

describe("phase files: corrupt, removed", () => {
  it("a torn phase file keeps the last good state beside a marker naming the file", () => {
    const { view } = worker(
      [
        phaseFile("CTL-412", "implement", CTL_412_IMPLEMENT),
        phaseFile("CTL-412", "implement", '{"ticket":"CTL-412","sta'),
      ],
      "CTL-412",
    );
    expect(view?.pipeline?.phaseStatus).toBe("running");
    expect(view?.corrupt?.file).toContain("CTL-412/phase-implement.json");
  });

  it("a bad field is a warning naming the phase file's field", () => {
    const { view } = worker([phaseFile("CTL-2", "plan", { status: "running", turnCap: "many" })], "CTL-2");
    expect(view?.warnings.map((w) => w.field)).toEqual(["$.phases.plan.turnCap"]);
  });

  it("removing the last phase file removes the worker", () => {
    const { view } = worker(
      [phaseFile("CTL-2", "plan", { status: "running" }), phaseRemoved("CTL-2", "plan")],
      "CTL-2",
    );
    expect(view).toBeUndefined();
  });
});

describe("scale: one phase-file change visits O(1) workers", () => {
  it("the same write on a 100- and a 2,000-ticket execution-core fleet rebuilds the same number of views", () => {
    const visits = (tickets: number): number => {
      let state = createInitialState();
      state = reduce(state, executionCoreAdded(), NOW).state;
      for (let i = 0; i < tickets; i++) {
        state = reduce(
          state,
          phaseFile(`CTL-${i}`, "plan", { status: "running", bg_job_id: "0000abcd" }),
          NOW,
        ).state;
      }
      const step = reduce(state, phaseFile("CTL-7", "implement", { status: "running" }), NOW);
      expect(step.deltas.filter((d) => d.event === "worker-update")).toHaveLength(1);
      return step.visited;
    };
    const [small, large] = [visits(100), visits(2000)];
    expect(small).toBe(large);
    expect(small).toBeLessThanOrEqual(4);
  });
});
