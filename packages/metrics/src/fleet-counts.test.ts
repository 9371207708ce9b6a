import { createFuse } from "@catalyst/fuse";
import type { FuseInput } from "@catalyst/schema";
import { describe, expect, it } from "vitest";
import {
  fleetInputs,
  NOW,
  orchestratorAdded,
  signal,
  signalRemoved,
  tornSignal,
} from "./fleet-inputs.test-helper.js";
import { createFleetCounts, type FleetCounts, followFleet } from "./index.js";

/** Plain, comparable figures of every orchestrator. */
function figures(counts: FleetCounts) {
  return [...counts.orchestrators()]
    .map(({ version: _version, ...o }) => ({
      ...o,
      workers: Object.fromEntries([...o.workers].sort()),
      prs: Object.fromEntries([...o.prs].sort()),
      needsYou: Object.fromEntries([...o.needsYou].sort()),
    }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

function at(minutes: number): Date {
  return new Date(NOW.getTime() + minutes * 60_000);
}

describe("fleet counts follow fuse's deltas", () => {
  it("equal the counts of a fresh snapshot after writes, removals, torn files and an orchestrator leaving", () => {
    const fuse = createFuse();
    const { counts, stop } = followFleet(fuse);
    fuse.apply(fleetInputs(3, 12), at(0));
    const steps: FuseInput[][] = [
      [signal("orch-1", "T-1-2", { status: "done", phase: 6, cost: { costUSD: 2.5, outputTokens: 900 } })],
      [signalRemoved("orch-0", "T-0-5")],
      [tornSignal("orch-2", "T-2-1")],
      [signal("orch-0", "T-0-7", { status: "shiny-new-status", phase: 2 })],
      [{ kind: "tick" }],
      [signalRemoved("orch-2", "T-2-3")],
    ];
    for (const [i, inputs] of steps.entries()) fuse.apply(inputs, at(30 * (i + 1)));
    const fresh = createFleetCounts();
    fresh.reset(fuse.snapshot());
    expect(figures(counts)).toEqual(figures(fresh));
    // The made-up status is counted as `other`; the torn file as corrupt; stalls after the tick.
    const orch0 = figures(counts).find((o) => o.id === "orch-0")!;
    expect(orch0.workers["other\u00002"]).toBe(1);
    expect(figures(counts).find((o) => o.id === "orch-2")!.corrupt).toBe(1);
    expect(Object.values(orch0.needsYou).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    stop();
  });

  it("sums cost exactly (micro-dollars) however often a worker's cost is rewritten", () => {
    const fuse = createFuse();
    const { counts } = followFleet(fuse);
    fuse.apply([orchestratorAdded("o"), signal("o", "A", { cost: { costUSD: 0.1 } })], at(0));
    for (let i = 1; i <= 50; i++) fuse.apply(signal("o", "A", { cost: { costUSD: 0.1 + i * 0.07 } }), at(i));
    fuse.apply(signal("o", "B", { cost: { costUSD: 0.2 } }), at(60));
    expect([...counts.orchestrators()][0]!.costUsd).toBe(3.8);
  });

  it("counts the fleet's budget row apart from every orchestrator", () => {
    const fuse = createFuse();
    const { counts } = followFleet(fuse);
    fuse.apply(fleetInputs(1, 2), at(0));
    const over = { limitUsd: 1, spentUsd: 2, since: at(1).toISOString() };
    fuse.apply({ kind: "budget", over }, at(1));
    expect([...counts.fleetNeedsYou()]).toEqual([["budget", 1]]);
    expect([...counts.orchestrators()].map((o) => o.id)).toEqual(["orch-0"]);
    fuse.apply({ kind: "budget", over: null }, at(2));
    expect([...counts.fleetNeedsYou()]).toEqual([]);
  });

  it("drops an orchestrator's workers with it (fuse sends no worker-removed for them)", () => {
    const fuse = createFuse();
    const { counts } = followFleet(fuse);
    const inputs = fleetInputs(2, 4);
    fuse.apply(inputs, at(0));
    counts.apply([
      { id: 0, event: "orchestrator-removed", data: { orchestrator: "orch-1", ts: at(1).toISOString() } },
    ]);
    expect([...counts.orchestrators()].map((o) => o.id)).toEqual(["orch-0"]);
  });

  it("one write visits one worker, at 10,000 workers as at 100", () => {
    const visits = [100, 10_000].map((workers) => {
      const fuse = createFuse();
      const { counts } = followFleet(fuse);
      fuse.apply(fleetInputs(workers / 50, 50), at(0));
      const before = counts.visited();
      fuse.apply(signal("orch-1", "T-1-7", { status: "validating", phase: 4 }), at(1));
      return counts.visited() - before;
    });
    expect(visits).toEqual([1, 1]);
  });
});
