import { freshOf } from "./draft-fresh.js";
import type { FuseState } from "./state.js";

// Which orchestrators have a worker with a given ticket. Today's log names many events only by
// ticket (v3 lines, v1 reap lines, execution-core events whose orchestrator is the ticket), so the
// fold looks the ticket up here instead of walking the fleet.
//
// It is the one fleet-wide map of the state, so it is persistent with two levels of 64 slots: one
// change copies two 64-slot arrays and a leaf of about fleet / 4,096 tickets. (A one-level map of
// 64 buckets copied ~160 entries per new worker at 10,000 workers: most of a start-up's CPU and
// garbage, issue 26.) Plain data, so exportState writes it as JSON (an empty slot becomes null).

type Leaf = Readonly<Record<string, readonly string[]>>;
type Level = ReadonlyArray<Leaf | null | undefined>;

/** Ticket → owning orchestrators, persistent (earlier states stay intact). */
export interface TicketOwners {
  readonly size: number;
  readonly slots: ReadonlyArray<Level | null | undefined>;
}

const WIDTH = 64;

function hashOf(key: string): number {
  let hash = 0;
  for (let i = 0; i < key.length; i++) hash = (hash * 31 + key.charCodeAt(i)) | 0;
  return hash >>> 0;
}

function leafOf(table: TicketOwners | undefined, ticket: string): Leaf | null | undefined {
  if (!table) return undefined;
  const h = hashOf(ticket);
  return table.slots[h % WIDTH]?.[Math.floor(h / WIDTH) % WIDTH];
}

/** The orchestrators that know `ticket` (empty when none does). */
export function ownersOfTicket(state: FuseState, ticket: string): readonly string[] {
  const leaf = leafOf(state.ticketOwners, ticket);
  return leaf != null && Object.hasOwn(leaf, ticket) ? leaf[ticket]! : [];
}

/**
 * The table with `ticket`'s owners set. Arrays and leaves in `fresh` (created earlier by the same
 * draft, so no other state holds them) are changed in place; anything else is copied first, and
 * the copy is marked fresh.
 */
function withOwners(
  table: TicketOwners | undefined,
  ticket: string,
  owners: readonly string[],
  fresh?: WeakSet<object>,
): TicketOwners {
  const h = hashOf(ticket);
  const outer = h % WIDTH;
  const inner = Math.floor(h / WIDTH) % WIDTH;
  const own = <T extends object>(value: T | null | undefined, copy: (from: T | null | undefined) => T): T => {
    if (fresh !== undefined && value != null && fresh.has(value)) return value;
    const made = copy(value);
    fresh?.add(made);
    return made;
  };
  const slots = own(table?.slots as Array<Level | null | undefined> | undefined, (from) =>
    from ? from.slice() : new Array<Level | undefined>(WIDTH).fill(undefined),
  );
  const level = own(slots[outer] as Array<Leaf | null | undefined> | null | undefined, (from) =>
    from ? from.slice() : new Array<Leaf | undefined>(WIDTH).fill(undefined),
  );
  const leaf = own(level[inner] as Record<string, readonly string[]> | null | undefined, (from) => ({
    ...(from ?? {}),
  }));
  const had = Object.hasOwn(leaf, ticket);
  if (owners.length === 0) delete leaf[ticket];
  else
    Object.defineProperty(leaf, ticket, {
      value: owners,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  level[inner] = leaf;
  slots[outer] = level;
  const size = (table?.size ?? 0) + (owners.length === 0 ? (had ? -1 : 0) : had ? 0 : 1);
  if (table !== undefined && fresh?.has(table)) {
    const same = table as { size: number; slots: TicketOwners["slots"] };
    same.size = size;
    same.slots = slots;
    return table;
  }
  const next: TicketOwners = { size, slots };
  fresh?.add(next);
  return next;
}

/** Record that `orchestrator` has a worker `ticket`. */
export function addTicketOwner(state: FuseState, ticket: string, orchestrator: string): void {
  const owners = ownersOfTicket(state, ticket);
  if (owners.includes(orchestrator)) return;
  state.ticketOwners = withOwners(state.ticketOwners, ticket, [...owners, orchestrator], freshOf(state));
}

/** Record that `orchestrator` no longer has a worker `ticket`. */
export function removeTicketOwner(state: FuseState, ticket: string, orchestrator: string): void {
  const owners = ownersOfTicket(state, ticket);
  if (!owners.includes(orchestrator)) return;
  state.ticketOwners = withOwners(
    state.ticketOwners,
    ticket,
    owners.filter((o) => o !== orchestrator),
    freshOf(state),
  );
}

/**
 * A state exported before the two-level table held a one-level keyed map (`{size, buckets}`) here:
 * the same owners, moved into the current table.
 */
export function migrateTicketOwners(state: FuseState): void {
  const old = state.ticketOwners as unknown as { buckets?: unknown } | undefined;
  if (!old || !Array.isArray(old.buckets)) return;
  let table: TicketOwners | undefined;
  for (const bucket of old.buckets as Array<Record<string, string[]> | null | undefined>) {
    if (bucket == null) continue;
    for (const ticket of Object.keys(bucket)) table = withOwners(table, ticket, bucket[ticket]!);
  }
  if (table) state.ticketOwners = table;
  else delete state.ticketOwners;
}

/** Every ticket of the table with its owners (in no set order). */
export function forEachTicketOwners(
  state: FuseState,
  visit: (ticket: string, owners: readonly string[]) => void,
): void {
  for (const level of state.ticketOwners?.slots ?? []) {
    if (level == null) continue;
    for (const leaf of level) {
      if (leaf == null) continue;
      for (const ticket of Object.keys(leaf)) visit(ticket, leaf[ticket]!);
    }
  }
}

/**
 * A table of these tickets' owners, built in one pass (a merge of host pieces): the same lookups
 * as adding each owner in turn, without copying a slot per ticket. A ticket given twice keeps the
 * owners of both, in order.
 */
export function ticketOwnersFrom(
  entries: Iterable<readonly [string, readonly string[]]>,
): TicketOwners | undefined {
  const slots: Array<Array<Record<string, readonly string[]> | undefined> | undefined> = new Array(
    WIDTH,
  ).fill(undefined);
  let size = 0;
  for (const [ticket, owners] of entries) {
    if (owners.length === 0) continue;
    const h = hashOf(ticket);
    const outer = h % WIDTH;
    const inner = Math.floor(h / WIDTH) % WIDTH;
    const level =
      slots[outer] ?? new Array<Record<string, readonly string[]> | undefined>(WIDTH).fill(undefined);
    slots[outer] = level;
    const leaf = level[inner] ?? {};
    level[inner] = leaf;
    const had = Object.hasOwn(leaf, ticket) ? leaf[ticket]! : null;
    if (had === null) size++;
    const joined = had === null ? owners : [...had, ...owners.filter((o) => !had.includes(o))];
    Object.defineProperty(leaf, ticket, {
      value: joined,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return size === 0 ? undefined : { size, slots };
}
