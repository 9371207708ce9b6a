import type { LogRecord } from "@catalyst/schema";
import { StateImportError } from "./errors.js";
import { setOwn } from "./own-property.js";
import { createInitialState, type FuseState, MAX_LOG_PROBLEMS } from "./state.js";
import { restoreExportHoles } from "./state-export.js";
import { forEachTicketOwners, ticketOwnersFrom } from "./ticket-owners.js";

// A fused state cut into one piece per host, and put back together (issue 25: the central
// monitor's time-travel checkpoints keep one piece per host, so a host whose clock runs behind
// spoils only its own piece). A central monitor namespaces every id by host (`<host>/<id>`), so a
// host's piece is what sits under its prefix: its orchestrators, its global state file, its log
// files and their problems, the waves completed of its orchestrators, its owners in the ticket
// table; plus the node heartbeats its lines carried, which the caller names (a heartbeat is keyed
// by the host the line says, not by the publisher).
//
// `mergeHostStates(pieces)` of every host's `exportHostState` is the state again (the same fold
// going on: same snapshot, same next states). Pieces folded apart (a host's lines folded onto its
// own piece alone) merge to what one fold of every line gives only when no line reached across
// hosts: see `logLineReach`, which names what a line can reach, and the README.

/** The version of a piece's form; {@link mergeHostStates} accepts only this one. */
export const HOST_PIECE_VERSION = 1;

/** One host's part of a fused state, as plain JSON data. */
export interface HostStatePiece {
  v: typeof HOST_PIECE_VERSION;
  host: string;
  state: unknown;
}

/** Options of {@link exportHostState}. */
export interface ExportHostStateOptions {
  /** The node names (`node.heartbeat`'s host) whose heartbeats came from this host's lines. Default none. */
  nodes?: Iterable<string>;
}

const hasPrefix = (prefix: string) => (key: string) => key.startsWith(prefix);

function pick<V>(record: Record<string, V>, keep: (key: string) => boolean): Record<string, V> {
  const out: Record<string, V> = {};
  for (const key of Object.keys(record)) if (keep(key)) setOwn(out, key, record[key]!);
  return out;
}

/** `Object.assign` for data keys (a key `__proto__` is a key, never the prototype). */
function assignOwn<V>(to: Record<string, V>, from: Record<string, V> | undefined): void {
  if (from) for (const key of Object.keys(from)) setOwn(to, key, from[key]!);
}

/**
 * The part of `state` that belongs to `host` (ids `<host>/…`), as plain data (pure: the state is
 * not touched). It shares the state's objects, as fuse's states share theirs with the states they
 * came from (no copy, so cutting a 10,000-worker state costs a pass over its ids, not its size):
 * treat it as read-only; `JSON.stringify` it to keep it. What no input names by host (the `hosts`
 * list, the budget row, PR answers) goes whole with every piece. Parked liveness answers go with
 * their orchestrator's host.
 */
export function exportHostState(
  state: FuseState,
  host: string,
  options: ExportHostStateOptions = {},
): HostStatePiece {
  const prefix = `${host}/`;
  const mine = hasPrefix(prefix);
  const nodes = new Set(options.nodes ?? []);
  const piece: Record<string, unknown> = {
    orchestrators: pick(state.orchestrators, mine),
    globals: pick(state.globals, mine),
    hosts: state.hosts,
    budgetRow: state.budgetRow,
    prStatuses: state.prStatuses,
    wavesCompleted: pick(state.wavesCompleted, mine),
    sourceErrors: state.sourceErrors.filter((e) => e.file.startsWith(prefix)),
    logProblems: pick(state.logProblems, mine),
    logFiles: pick(state.logFiles, mine),
  };
  // `[ticket, owners]` pairs (a ticket may be any string, `__proto__` too).
  const owners: [string, string[]][] = [];
  forEachTicketOwners(state, (ticket, ids) => {
    const own = ids.filter(mine);
    if (own.length > 0) owners.push([ticket, own]);
  });
  piece.ticketOwners = owners;
  if (state.nodes) piece.nodes = pick(state.nodes, (name) => nodes.has(name));
  if (state.pendingLiveness) {
    const kept: [string, unknown][] = [];
    const { answers } = state.pendingLiveness;
    for (const bucket of answers.buckets) {
      if (bucket == null) continue;
      for (const id of Object.keys(bucket)) if (mine(id)) kept.push([id, bucket[id]]);
    }
    piece.pendingLiveness = kept;
    piece.pendingCounts = {
      count: state.pendingLiveness.count,
      bytes: state.pendingLiveness.bytes,
      next: state.pendingLiveness.next,
    };
  }
  // Plain data: JSON keeps it all but a keyed map's holes, which merge restores (`parsed`).
  return { v: HOST_PIECE_VERSION, host, state: piece };
}

/** Options of {@link mergeHostStates}. */
export interface MergeHostStatesOptions {
  /**
   * The pieces went through JSON (`JSON.parse` of what `JSON.stringify` wrote): keyed maps' holes,
   * written as null, are restored in place, and the data is the merged state's (do not use it
   * again). Default false: pieces as {@link exportHostState} returned them.
   */
  parsed?: boolean;
}

/**
 * One state from pieces of different hosts (each from {@link exportHostState}), in the order
 * given: hosts' maps side by side, the ticket table's owners joined, the fleet-wide fields (hosts
 * list, budget row, PR answers) of the first piece. The state shares the pieces' objects (never
 * changed afterwards: fuse copies what it changes). Null when the pieces cannot make one state
 * exactly: two pieces of one host, a host name holding `/` or empty, log-file problems in more
 * than one piece or as many as fuse keeps (their order and eviction run across hosts), one node
 * name in two pieces, or parked liveness answers (bounded fleet-wide). Pure otherwise. Throws
 * `StateImportError` on data that is not a piece.
 */
export function mergeHostStates(
  pieces: readonly HostStatePiece[],
  options: MergeHostStatesOptions = {},
): FuseState | null {
  const seen = new Set<string>();
  const parts: Record<string, unknown>[] = [];
  for (const piece of pieces) {
    if (piece?.v !== HOST_PIECE_VERSION || typeof piece.host !== "string" || typeof piece.state !== "object")
      throw new StateImportError(`not a host state piece of version ${HOST_PIECE_VERSION}`);
    if (seen.has(piece.host) || piece.host.includes("/") || piece.host === "") return null;
    seen.add(piece.host);
    parts.push((options.parsed ? restoreExportHoles(piece.state) : piece.state) as Record<string, unknown>);
  }
  const state: FuseState = createInitialState();
  const owners: [string, string[]][] = [];
  let problemPieces = 0;
  let nodes: FuseState["nodes"];
  for (const [i, part] of parts.entries()) {
    if (Array.isArray(part.pendingLiveness) && part.pendingLiveness.length > 0) return null;
    if (i === 0) {
      state.hosts = part.hosts as FuseState["hosts"];
      state.budgetRow = part.budgetRow as FuseState["budgetRow"];
      state.prStatuses = part.prStatuses as FuseState["prStatuses"];
    }
    assignOwn(state.orchestrators, part.orchestrators as FuseState["orchestrators"]);
    assignOwn(state.globals, part.globals as FuseState["globals"]);
    assignOwn(state.wavesCompleted, part.wavesCompleted as FuseState["wavesCompleted"]);
    assignOwn(state.logFiles, part.logFiles as FuseState["logFiles"]);
    const problems = part.logProblems as FuseState["logProblems"];
    if (Object.keys(problems).length > 0) problemPieces++;
    assignOwn(state.logProblems, problems);
    if (part.nodes !== undefined) {
      const own = part.nodes as NonNullable<FuseState["nodes"]>;
      for (const name of Object.keys(own)) {
        if (nodes !== undefined && Object.hasOwn(nodes, name)) return null;
        nodes ??= {};
        setOwn(nodes, name, own[name]!);
      }
    }
    for (const pair of part.ticketOwners as [string, string[]][]) owners.push(pair);
  }
  const table = ticketOwnersFrom(owners);
  if (table !== undefined) state.ticketOwners = table;
  if (problemPieces > 1 || Object.keys(state.logProblems).length >= MAX_LOG_PROBLEMS) return null;
  if (nodes !== undefined) state.nodes = nodes;
  // The published list, as fuse derives it: unreadable global files, then the log files' problems.
  for (const file of Object.values(state.globals)) if (file.corrupt) state.sourceErrors.push(file.corrupt);
  state.sourceErrors.push(...Object.values(state.logProblems));
  return state;
}

/**
 * The hosts whose pieces make `state` whole (the part of each id before its first `/`, sorted), or
 * null when some id names no host (a local monitor's state: it has no pieces). Node heartbeats
 * are keyed by the host a line names and are not counted here. Pure.
 */
export function stateHosts(state: FuseState): string[] | null {
  const hosts = new Set<string>();
  let unhosted = false;
  const note = (key: string): void => {
    const slash = key.indexOf("/");
    if (slash <= 0) unhosted = true;
    else hosts.add(key.slice(0, slash));
  };
  for (const map of [
    state.orchestrators,
    state.globals,
    state.wavesCompleted,
    state.logProblems,
    state.logFiles,
  ])
    for (const key of Object.keys(map)) note(key);
  for (const bucket of state.pendingLiveness?.answers.buckets ?? [])
    if (bucket != null) for (const id of Object.keys(bucket)) note(id);
  return unhosted ? null : [...hosts].sort();
}

/** What folding one log line can reach beyond its own orchestrator (see {@link logLineReach}). */
export interface LogLineReach {
  /** Every ticket the line names (its own orchestrator's workers, or looked up). */
  tickets: string[];
  /** The tickets among them the fold looks up across the fleet (the line names no orchestrator of its own). */
  lookups: string[];
  /** Node names whose heartbeat the line carries. */
  nodes: string[];
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/**
 * Through what folding `record` can read or change another host's part of the state. `tickets`:
 * every ticket the line names (its worker, a tombstone's dropped ticket, a wave's tickets, a
 * coalesced transition's workers), which its own orchestrator may come to own; `lookups`: those the
 * fold looks up among every orchestrator's workers (a line that names no orchestrator, or names its
 * ticket as one, and a tombstone's dropped ticket); `nodes`: a `node.heartbeat`'s host. Pure.
 *
 * A fold of several hosts' lines equals the merge of each host's lines folded apart (pieces of
 * {@link exportHostState}) when no ticket looked up by a line is named by the lines of two hosts
 * and no node name by the lines of two hosts: nothing else in a fold reaches across hosts' ids.
 */
export function logLineReach(record: LogRecord): LogLineReach {
  const event = record.event;
  const tickets = new Set<string>();
  const lookups = new Set<string>();
  const worker = event.worker;
  const orchestrator = event.orchestrator;
  if (worker !== null) {
    tickets.add(worker);
    if (orchestrator === null || orchestrator === worker || orchestrator.endsWith(`/${worker}`))
      lookups.add(worker);
  }
  const dropped = event.dropped?.ticket;
  if (typeof dropped === "string" && dropped !== "") {
    tickets.add(dropped);
    lookups.add(dropped);
  }
  const detail = event.detail;
  if (detail !== null && typeof detail === "object" && !Array.isArray(detail)) {
    const d = detail as Record<string, unknown>;
    for (const t of strings(d.tickets)) tickets.add(t);
    if (Array.isArray(d.changes))
      for (const change of d.changes) {
        const named = (change as { worker?: unknown } | null)?.worker;
        if (typeof named === "string") tickets.add(named);
      }
  }
  const nodes = event.name === "node.heartbeat" && event.host !== null ? [event.host] : [];
  return { tickets: [...tickets], lookups: [...lookups], nodes };
}
