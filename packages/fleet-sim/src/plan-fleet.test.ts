import { describe, expect, it } from "vitest";
import { createFleetPlanner } from "./plan-fleet.js";
import { createSeededRandom } from "./seeded-random.js";

const shape = { orchestrators: 3, workersPerOrchestrator: 6, day: "2026-04-14" };

describe("createFleetPlanner", () => {
  it("plans the same fleet for the same seed", () => {
    const a = createFleetPlanner(createSeededRandom(5)).planGeneration(shape);
    const b = createFleetPlanner(createSeededRandom(5)).planGeneration(shape);
    expect(a).toEqual(b);
  });

  it("covers every ticket with one wave, one failing and one crashing worker, one nested layout", () => {
    const plans = createFleetPlanner(createSeededRandom(11)).planGeneration(shape);
    expect(plans).toHaveLength(3);
    for (const plan of plans) {
      expect(plan.id).toMatch(/^orch-[a-z-]+-2026-04-14$/);
      expect(plan.workers).toHaveLength(6);
      const waveTickets = plan.waves.flatMap((w) => w.tickets);
      expect(waveTickets.sort()).toEqual(plan.workers.map((w) => w.ticket).sort());
      expect(plan.waves.map((w) => w.wave)).toEqual(plan.waves.map((_, i) => i + 1));
      expect(plan.repository).toMatch(/^catalyst-demo\//);
    }
    const fates = plans.flatMap((p) => p.workers.map((w) => w.fate.kind));
    expect(fates.filter((f) => f === "fail")).toHaveLength(1);
    expect(fates.filter((f) => f === "crash")).toHaveLength(1);
    expect(plans.map((p) => p.layout)).toEqual(["runs", "runs", "wt"]);
    expect(plans[2]!.relativeDir).toBe(`wt/${plans[2]!.projectKey}/${plans[2]!.id}`);
    const tickets = plans.flatMap((p) => p.workers.map((w) => w.ticket));
    expect(new Set(tickets).size).toBe(tickets.length);
  });

  it("never reuses an id or a ticket in later generations", () => {
    const planner = createFleetPlanner(createSeededRandom(3));
    const ids: string[] = [];
    const tickets: string[] = [];
    for (let g = 0; g < 5; g++) {
      for (const plan of planner.planGeneration(shape)) {
        ids.push(plan.id);
        tickets.push(...plan.workers.map((w) => w.ticket));
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(tickets).size).toBe(tickets.length);
  });

  it("still plans a failure and a crash for a single small orchestrator", () => {
    const [plan] = createFleetPlanner(createSeededRandom(1)).planGeneration({
      ...shape,
      orchestrators: 1,
      workersPerOrchestrator: 2,
    });
    expect(plan!.layout).toBe("runs");
    expect(plan!.workers.map((w) => w.fate.kind).sort()).toEqual(["crash", "fail"]);
    const [solo] = createFleetPlanner(createSeededRandom(1)).planGeneration({
      ...shape,
      orchestrators: 1,
      workersPerOrchestrator: 1,
    });
    expect(solo!.waves).toEqual([{ wave: 1, tickets: [solo!.workers[0]!.ticket], dependsOn: [] }]);
  });
});
