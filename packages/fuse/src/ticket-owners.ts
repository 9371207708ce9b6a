import { deleteKey, emptyKeyedMap, getKey, setKey } from "./keyed-map.js";
import type { FuseState } from "./state.js";

// Which orchestrators have a worker with a given ticket. Today's log names many events only by
// ticket (v3 lines, v1 reap lines, execution-core events whose orchestrator is the ticket), so the
// fold looks the ticket up here instead of walking the fleet. A persistent KeyedMap: one change
// copies one small bucket, and earlier states stay intact.

/** The orchestrators that know `ticket` (empty when none does). */
export function ownersOfTicket(state: FuseState, ticket: string): readonly string[] {
  return state.ticketOwners ? (getKey(state.ticketOwners, ticket) ?? []) : [];
}

/** Record that `orchestrator` has a worker `ticket`. */
export function addTicketOwner(state: FuseState, ticket: string, orchestrator: string): void {
  const map = state.ticketOwners ?? emptyKeyedMap<string[]>();
  const owners = getKey(map, ticket) ?? [];
  if (owners.includes(orchestrator)) return;
  state.ticketOwners = setKey(map, ticket, [...owners, orchestrator]);
}

/** Record that `orchestrator` no longer has a worker `ticket`. */
export function removeTicketOwner(state: FuseState, ticket: string, orchestrator: string): void {
  const map = state.ticketOwners;
  if (!map) return;
  const owners = getKey(map, ticket);
  if (!owners?.includes(orchestrator)) return;
  const rest = owners.filter((o) => o !== orchestrator);
  state.ticketOwners = rest.length === 0 ? deleteKey(map, ticket) : setKey(map, ticket, rest);
}
