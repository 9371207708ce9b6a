// Objects a draft created itself, which later writes of the same draft may change in place.
//
// Fuse's persistent structures (the ticket-owner table, keyed maps) copy what they change so that
// earlier states stay intact. Within one draft, a structure copied by one write is copied again
// by the next, though nothing but the draft can see the first copy: a start-up batch that adds
// 200 workers copied the ticket table's 64-slot arrays 200 times (issue 26: most of its garbage).
// A draft registers its state here; what a write creates for that state is marked fresh and the
// draft's later writes change it in place. A later draft starts from a new state object, so it
// never sees the marks of an earlier one and copies before it writes, as before.

const freshByState = new WeakMap<object, WeakSet<object>>();

/** Marks `state` (a draft's own state object) as one whose writes may reuse what they created. */
export function registerDraftState(state: object): void {
  freshByState.set(state, new WeakSet());
}

/** The objects the draft of `state` created, or undefined when `state` is not a draft's. */
export function freshOf(state: object): WeakSet<object> | undefined {
  return freshByState.get(state);
}
