import { describe, expect, it } from "vitest";
import { createDraft } from "./draft.js";
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

  it("is copied once per draft, never changing the state the draft started from", () => {
    const base = createInitialState();
    addTicketOwner(base, "CTL-0", "orch-a");
    const first = createDraft(base);
    addTicketOwner(first.state, "CTL-1", "orch-a");
    const table = first.state.ticketOwners!;
    const slots = table.slots;
    for (let i = 2; i < 200; i++) addTicketOwner(first.state, `CTL-${i}`, "orch-a");
    // The draft's own copy takes the later adds in place: one copy of the top array, not 199.
    expect(first.state.ticketOwners).toBe(table);
    expect(first.state.ticketOwners!.slots).toBe(slots);
    expect(first.state.ticketOwners!.size).toBe(200);
    expect(base.ticketOwners!.size).toBe(1);
    expect(ownersOfTicket(base, "CTL-5")).toEqual([]);
    // The next draft copies before it writes: the first draft's result stays as it was.
    const second = createDraft(first.state);
    addTicketOwner(second.state, "CTL-5", "orch-b");
    removeTicketOwner(second.state, "CTL-6", "orch-a");
    expect(second.state.ticketOwners).not.toBe(table);
    expect(ownersOfTicket(second.state, "CTL-5")).toEqual(["orch-a", "orch-b"]);
    expect(ownersOfTicket(second.state, "CTL-6")).toEqual([]);
    expect(ownersOfTicket(first.state, "CTL-5")).toEqual(["orch-a"]);
    expect(ownersOfTicket(first.state, "CTL-6")).toEqual(["orch-a"]);
    expect(first.state.ticketOwners!.size).toBe(200);
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
