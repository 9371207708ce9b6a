// The per-phase overlay of orchestrate workers as the HEAD HUD applies it (FORMATS-TODAY §2.3).
import type { FuseInput, WorkerView } from "@catalyst/schema";
import { describe, expect, it } from "vitest";
import { createFuse } from "./index.js";
import { NOW, ORCH, orchestratorAdded, signal, working } from "./inputs.test-helper.js";
import { phaseFile } from "./pipeline.test-helper.js";

function overlay(ticket: string, phase: string, fields: Record<string, unknown>): FuseInput {
  return phaseFile(ticket, phase, JSON.stringify({ ticket, orchestrator: ORCH, phase, ...fields }), ORCH);
}

function view(inputs: FuseInput[], ticket: string): WorkerView | undefined {
  const fuse = createFuse();
  fuse.apply([orchestratorAdded(), ...inputs], NOW);
  return fuse.snapshot().orchestrators.find((o) => o.id === ORCH)?.workers[ticket];
}

describe("per-phase overlay (R2.5–R2.9)", () => {
  it("R2.8 the overlay wins for status, phaseName, updatedAt and lastHeartbeat; the rest stays from the flat file", () => {
    const w = view(
      [
        signal(
          working("CTL-30", {
            status: "dispatched",
            phase: 0,
            wave: 2,
            label: "oneshot CTL-30",
            stalledReason: "phantom-ticket",
          }),
        ),
        overlay("CTL-30", "implement", { status: "running", updatedAt: "2026-04-14T19:21:00Z" }),
      ],
      "CTL-30",
    );
    expect(w).toMatchObject({
      status: "running",
      phaseName: "implement",
      updatedAt: "2026-04-14T19:21:00Z",
      lastHeartbeat: "2026-04-14T19:21:00Z",
      phase: 0,
      wave: 2,
      label: "oneshot CTL-30",
      pid: 63744,
    });
    expect(w?.details?.stalledReason).toBe("phantom-ticket");
  });

  it("R2.8 stalledReason is the overlay's when it has one, else the flat file's", () => {
    const w = view(
      [
        signal(working("CTL-31", { stalledReason: "phantom-ticket" })),
        overlay("CTL-31", "plan", { status: "stalled", stalledReason: "dispatch-circuit-breaker" }),
      ],
      "CTL-31",
    );
    expect(w?.details?.stalledReason).toBe("dispatch-circuit-breaker");
  });

  it("R2.7 settled candidates (done, failed, complete, skipped) lose to a live one; then the newest updatedAt", () => {
    const w = view(
      [
        signal(working("CTL-32")),
        overlay("CTL-32", "plan", { status: "done", updatedAt: "2026-04-14T19:21:30Z" }),
        overlay("CTL-32", "implement", { status: "turn-cap-exhausted", updatedAt: "2026-04-14T19:10:00Z" }),
        overlay("CTL-32", "research", { status: "needs-input", updatedAt: "2026-04-14T19:00:00Z" }),
      ],
      "CTL-32",
    );
    expect(w).toMatchObject({ status: "turn-cap-exhausted", phaseName: "implement" });
    const settled = view(
      [
        signal(working("CTL-33")),
        overlay("CTL-33", "plan", { status: "done", updatedAt: "2026-04-14T19:21:30Z" }),
        overlay("CTL-33", "research", { status: "done", updatedAt: "2026-04-14T19:00:00Z" }),
      ],
      "CTL-33",
    );
    expect(settled).toMatchObject({ status: "done", phaseName: "plan" });
  });

  it("R2.6 a phase file without string ticket, orchestrator, phase and status is not an overlay", () => {
    const w = view(
      [
        signal(working("CTL-34")),
        phaseFile(
          "CTL-34",
          "monitor-deploy",
          JSON.stringify({ ticket: "CTL-34", generation: 1, status: "running" }),
          ORCH,
        ),
      ],
      "CTL-34",
    );
    expect(w?.status).toBe("implementing");
    expect(w?.phaseName).toBeUndefined();
  });

  it("R2.9 an overlay without a flat file is a synthesized row", () => {
    const w = view(
      [overlay("CTL-35", "verify", { status: "awaiting-work", updatedAt: "2026-04-14T19:20:30Z" })],
      "CTL-35",
    );
    expect(w).toMatchObject({
      ticket: "CTL-35",
      status: "awaiting-work",
      phaseName: "verify",
      updatedAt: "2026-04-14T19:20:30Z",
      lastHeartbeat: "2026-04-14T19:20:30Z",
      pid: null,
      pr: null,
    });
    expect(w?.pipeline).toBeUndefined();
  });

  it("R2.3/R2.4 the newer signal fields reach the view's details", () => {
    const w = view(
      [
        signal(
          working("CTL-36", {
            blockedSince: "2026-04-14T19:00:00Z",
            continuationCount: 2,
            postMergeVerification: {
              result: "failed",
              verifiedAt: "2026-04-14T19:10:00Z",
              remediationTicket: "CTL-99",
            },
            lastReviveReason: "pid-dead",
            fixupAttempts: 1,
            deploy: { environment: "prod", result: "failure" },
          }),
        ),
      ],
      "CTL-36",
    );
    expect(w?.details).toMatchObject({
      blockedSince: "2026-04-14T19:00:00Z",
      continuationCount: 2,
      postMergeVerification: { result: "failed", remediationTicket: "CTL-99" },
      lastReviveReason: "pid-dead",
      fixupAttempts: 1,
      deploy: { environment: "prod", result: "failure" },
    });
    expect(view([signal(working("CTL-37"))], "CTL-37")?.details).toBeUndefined();
  });
});
