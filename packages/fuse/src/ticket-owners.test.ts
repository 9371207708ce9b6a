import { describe, expect, it } from "vitest";
import { createInitialState } from "./state.js";
import { exportState, importState } from "./state-export.js";
import { addTicketOwner, ownersOfTicket, removeTicketOwner } from "./ticket-owners.js";

describe("the ticket owner table", () => {
  it("adds and removes owners without changing an earlier state", () => {
    const state = createInitialState();
    addTicketOwner(state, "CTL-1", "orch-a");
    const before = { ...state };
    addTicketOwner(state, "CTL-1", "orch-b");
    addTicketOwner(state, "CTL-1", "orch-b");
    expect(ownersOfTicket(state, "CTL-1")).toEqual(["orch-a", "orch-b"]);
    expect(ownersOfTicket(before, "CTL-1")).toEqual(["orch-a"]);
    removeTicketOwner(state, "CTL-1", "orch-a");
    removeTicketOwner(state, "CTL-1", "orch-b");
    expect(ownersOfTicket(state, "CTL-1")).toEqual([]);
    expect(state.ticketOwners?.size).toBe(0);
    expect(ownersOfTicket(before, "CTL-1")).toEqual(["orch-a"]);
  });

  it("copies a constant amount per new worker: its leaf holds a few tickets at 10,000 workers", () => {
    const state = createInitialState();
    for (let i = 0; i < 10_000; i++)
      addTicketOwner(state, `P7-${String(i).padStart(5, "0")}`, `orch-${i % 500}`);
    expect(state.ticketOwners?.size).toBe(10_000);
    // One add copies the two 64-slot arrays on its path and one leaf: count the biggest leaf.
    let biggest = 0;
    for (const level of state.ticketOwners!.slots)
      for (const leaf of level ?? []) biggest = Math.max(biggest, Object.keys(leaf ?? {}).length);
    expect(biggest).toBeLessThan(20);
  });

  it("survives an export, and reads an export of the older one-level table", () => {
    const state = createInitialState();
    addTicketOwner(state, "CTL-7", "orch-a");
    const back = importState(JSON.parse(JSON.stringify(exportState(state))));
    expect(ownersOfTicket(back, "CTL-7")).toEqual(["orch-a"]);
    const old = exportState(createInitialState()) as { v: 1; state: Record<string, unknown> };
    old.state.ticketOwners = { size: 1, buckets: [null, { "CTL-9": ["orch-z"] }] };
    expect(ownersOfTicket(importState(old), "CTL-9")).toEqual(["orch-z"]);
  });
});
