import { logLineReach } from "@catalyst/fuse";
import type { LogRecord } from "@catalyst/schema";

// Which hosts' lines named each ticket and node name so far in a central fold (issue 25), so the
// central checkpoints know whether their per-host pieces fold apart exactly: a fold of every
// host's lines is the merge of each host's lines folded alone unless a line looked a ticket up
// across the fleet while two hosts' lines named it, or two hosts' lines carried one node's
// heartbeat (fuse's `logLineReach`). Kept in each checkpoint's header. Compact for the common case
// (a ticket named by one host's lines and never looked up: just that host's name), so a fleet of
// 10,000 tickets costs a pass, not an object each.

/** A ticket named by one host's lines and never looked up, or the hosts that named and looked it up. */
type TicketEntry = string | { hosts: string[]; lookups: string[] };

/** Hosts by ticket and by node name. */
export interface HostReach {
  tickets: Map<string, TicketEntry>;
  nodes: Map<string, string[]>;
}

/** The JSON form in a checkpoint header: `[ticket, host]` or `[ticket, hosts, lookups]`, and `[node, hosts]`. */
export interface HostReachJson {
  tickets: ([string, string] | [string, string[], string[]])[];
  nodes: [string, string[]][];
}

export const emptyReach = (): HostReach => ({ tickets: new Map(), nodes: new Map() });

const add = (list: string[], host: string): void => {
  if (!list.includes(host)) list.push(host);
};

function noteTicket(reach: HostReach, ticket: string, host: string, lookup: boolean): void {
  const entry = reach.tickets.get(ticket);
  if (entry === undefined) {
    reach.tickets.set(ticket, lookup ? { hosts: [host], lookups: [host] } : host);
    return;
  }
  if (entry === host && !lookup) return;
  const full = typeof entry === "string" ? { hosts: [entry], lookups: [] } : entry;
  add(full.hosts, host);
  if (lookup) add(full.lookups, host);
  reach.tickets.set(ticket, full);
}

function noteNode(reach: HostReach, node: string, host: string): void {
  const hosts = reach.nodes.get(node);
  if (hosts === undefined) reach.nodes.set(node, [host]);
  else add(hosts, host);
}

/** Note what one line of `host` names. */
export function noteLine(reach: HostReach, host: string, record: LogRecord): void {
  const { tickets, lookups, nodes } = logLineReach(record);
  for (const t of tickets) noteTicket(reach, t, host, lookups.includes(t));
  for (const n of nodes) noteNode(reach, n, host);
}

/**
 * Why the hosts' pieces do not fold apart exactly (a ticket looked up while two hosts named it, a
 * node named by two hosts, a host name holding `/`), or null when they do.
 */
export function reachCrossing(reach: HostReach): string | null {
  for (const [ticket, entry] of reach.tickets) {
    if (typeof entry === "string") {
      if (entry.includes("/")) return `a host name holds "/" (${entry})`;
      continue;
    }
    const { hosts, lookups } = entry;
    if (hosts.some((h) => h.includes("/"))) return `a host name holds "/" (${hosts.join(", ")})`;
    if (lookups.length > 0 && hosts.length > 1)
      return `ticket ${ticket} is looked up across hosts and named by ${hosts.join(", ")}`;
  }
  for (const [node, hosts] of reach.nodes) {
    if (hosts.some((h) => h.includes("/"))) return `a host name holds "/" (${hosts.join(", ")})`;
    if (hosts.length > 1) return `node ${node} is named by ${hosts.join(", ")}`;
  }
  return null;
}

/** The node names the lines of `host` carried. */
export function nodesOf(reach: HostReach, host: string): string[] {
  const out: string[] = [];
  for (const [node, hosts] of reach.nodes) if (hosts.includes(host)) out.push(node);
  return out;
}

/** The reach of the hosts `keep` accepts only (a new reach). */
export function restrictReach(reach: HostReach, keep: (host: string) => boolean): HostReach {
  const out = emptyReach();
  for (const [t, entry] of reach.tickets) {
    if (typeof entry === "string") {
      if (keep(entry)) out.tickets.set(t, entry);
      continue;
    }
    const hosts = entry.hosts.filter(keep);
    const lookups = entry.lookups.filter(keep);
    if (hosts.length === 0) continue;
    out.tickets.set(t, hosts.length === 1 && lookups.length === 0 ? hosts[0]! : { hosts, lookups });
  }
  for (const [n, hosts] of reach.nodes) {
    const h = hosts.filter(keep);
    if (h.length > 0) out.nodes.set(n, h);
  }
  return out;
}

/** Adds what `from` names to `into` (changed in place; `from` is not). */
export function addReach(into: HostReach, from: HostReach): HostReach {
  for (const [t, entry] of from.tickets) {
    if (typeof entry === "string") noteTicket(into, t, entry, false);
    else {
      for (const h of entry.hosts) noteTicket(into, t, h, entry.lookups.includes(h));
      for (const h of entry.lookups) noteTicket(into, t, h, true);
    }
  }
  for (const [n, hosts] of from.nodes) for (const h of hosts) noteNode(into, n, h);
  return into;
}

export function toJson(reach: HostReach): HostReachJson {
  return {
    tickets: Array.from(reach.tickets, ([t, e]) =>
      typeof e === "string"
        ? ([t, e] as [string, string])
        : ([t, [...e.hosts], [...e.lookups]] as [string, string[], string[]]),
    ),
    nodes: Array.from(reach.nodes, ([n, h]) => [n, [...h]] as [string, string[]]),
  };
}

/** A header's reach (checked with {@link isReachJson}). */
export function fromJson(json: HostReachJson): HostReach {
  const out = emptyReach();
  for (const e of json.tickets)
    out.tickets.set(e[0], e.length === 2 ? e[1] : { hosts: [...e[1]], lookups: [...e[2]] });
  for (const [n, hosts] of json.nodes) out.nodes.set(n, [...hosts]);
  return out;
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === "string");

/** Whether a header field is a reach's JSON form. */
export function isReachJson(json: unknown): json is HostReachJson {
  const v = json as Partial<HostReachJson> | null;
  return (
    Array.isArray(v?.tickets) &&
    v.tickets.every(
      (e) =>
        Array.isArray(e) &&
        typeof e[0] === "string" &&
        ((e.length === 2 && typeof e[1] === "string") ||
          (e.length === 3 && isStrings(e[1]) && isStrings(e[2]))),
    ) &&
    Array.isArray(v.nodes) &&
    v.nodes.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === "string" && isStrings(e[1]))
  );
}
