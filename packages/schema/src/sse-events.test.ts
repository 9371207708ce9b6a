import { describe, expect, it } from "vitest";
import { Delta, Snapshot, SSE_EVENT_NAMES, type WorkerView } from "./index.js";

const worker: WorkerView = {
  orchestrator: "orch-a",
  ticket: "CTL-48",
  title: null,
  label: null,
  status: "implementing",
  phase: 3,
  wave: 1,
  pid: 63709,
  alive: true,
  pr: null,
  startedAt: "2026-04-14T18:37:51Z",
  updatedAt: "2026-04-14T19:03:01Z",
  completedAt: null,
  lastHeartbeat: null,
  phaseTimestamps: { implementing: "2026-04-14T19:03:01Z" },
  cost: null,
  error: null,
  fixupCommit: null,
  followUpTo: null,
  needsAttention: false,
  attentionReason: null,
  corrupt: null,
  warnings: [],
  sources: ["signal"],
};

describe("SSE deltas", () => {
  it("carry the seed's flat fields plus the full worker", () => {
    const delta = {
      id: 7,
      event: "worker-update",
      data: {
        orchestrator: "orch-a",
        worker: "CTL-48",
        status: "implementing",
        phase: 3,
        ts: "2026-04-14T19:03:01Z",
        workerState: worker,
      },
    };
    const res = Delta.safeParse(delta);
    expect(res.success).toBe(true);
  });

  it("reject a payload that does not match its event name", () => {
    const res = Delta.safeParse({
      id: 1,
      event: "liveness-change",
      data: { orchestrator: "o", worker: "w" },
    });
    expect(res.success).toBe(false);
  });

  it("name every event the seed lists", () => {
    for (const name of [
      "snapshot",
      "worker-update",
      "pr-update",
      "liveness-change",
      "attention-raised",
      "wave-completed",
    ]) {
      expect(SSE_EVENT_NAMES).toContain(name);
    }
  });

  it("snapshots use the seed's generatedAt", () => {
    const snap = { generatedAt: "2026-04-14T19:22:00Z", orchestrators: [], needsYou: [], sourceErrors: [] };
    expect(Snapshot.safeParse(snap).success).toBe(true);
    expect(Snapshot.safeParse({ ...snap, generatedAt: "now" }).success).toBe(false);
  });
});
