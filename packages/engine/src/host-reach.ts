import { logLineReach } from "@catalyst/fuse";
import type { LogRecord } from "@catalyst/schema";

// Which hosts' lines named each ticket and node name so far in a central fold (issue 25), so the
// central checkpoints know whether their per-host pieces fold apart exactly: a fold of every
// host's lines is the merge of each host's lines folded alone unless a line looked a ticket up
// across the fleet while two hosts' lines named it, or two hosts' lines carried one node's
// heartbeat (fuse's `logLineReach`). Kept in each checkpoint's header.

/** Hosts by ticket (every host whose lines named it, and those whose lines looked it up) and by node. */
export interface HostReach {
  tickets: Map<string, { hosts: string[]; lookups: string[] }>;
  nodes: Map<string, string[]>;
}

/** The JSON form in a checkpoint header: `[ticket, hosts, lookups]` and `[node, hosts]`. */
export interface HostReachJson {
  tickets: [string, string[], string[]][];
  nodes: [string, string[]][];
}

export const emptyReach = (): HostReach => ({ tickets: new Map(), nodes: new Map() });

const add = (list: string[], host: string): void => {
  if (!list.includes(host)) list.push(host);
};

/** Note what one line of `host` names. */
export function noteLine(reach: HostReach, host: string, record: LogRecord): void {
  const { tickets, lookups, nodes } = logLineReach(record);
  for (const t of tickets) {
    let entry = reach.tickets.get(t);
    if (entry === undefined) {
      entry = { hosts: [], lookups: [] };
      reach.tickets.set(t, entry);
    }
    add(entry.hosts, host);
  }
  for (const t of lookups) add(reach.tickets.get(t)!.lookups, host);
  for (const n of nodes) {
    const hosts = reach.nodes.get(n);
    if (hosts === undefined) reach.nodes.set(n, [host]);
    else add(hosts, host);
  }
}

/**
 * Why the hosts' pieces do not fold apart exactly (a ticket looked up while two hosts named it, a
 * node named by two hosts, a host name holding `/`), or null when they do.
 */
export function reachCrossing(reach: HostReach): string | null {
  for (const [ticket, { hosts, lookups }] of reach.tickets) {
    if (hosts.some((h) => h.includes("/"))) return `a host name holds "/" (${hosts.join(", ")})`;
    if (lookups.length > 0 && hosts.length > 1)
      return `ticket ${ticket} is looked up across hosts and named by ${hosts.join(", ")}`;
  }
  for (const [node, hosts] of reach.nodes)
    if (hosts.length > 1) return `node ${node} is named by ${hosts.join(", ")}`;
  return null;
}

/** The node names the lines of `host` carried. */
export function nodesOf(reach: HostReach, host: string): string[] {
  const out: string[] = [];
  for (const [node, hosts] of reach.nodes) if (hosts.includes(host)) out.push(node);
  return out;
}

/** The reach of the hosts `keep` accepts only. */
export function restrictReach(reach: HostReach, keep: (host: string) => boolean): HostReach {
  const out = emptyReach();
  for (const [t, { hosts, lookups }] of reach.tickets) {
    const h = hosts.filter(keep);
    if (h.length > 0) out.tickets.set(t, { hosts: h, lookups: lookups.filter(keep) });
  }
  for (const [n, hosts] of reach.nodes) {
    const h = hosts.filter(keep);
    if (h.length > 0) out.nodes.set(n, h);
  }
  return out;
}

/** Both reaches in one (a and b are not changed). */
export function joinReach(a: HostReach, b: HostReach): HostReach {
  const out = fromJson(toJson(a));
  for (const [t, { hosts, lookups }] of b.tickets) {
    const entry = out.tickets.get(t) ?? { hosts: [], lookups: [] };
    for (const h of hosts) add(entry.hosts, h);
    for (const h of lookups) add(entry.lookups, h);
    out.tickets.set(t, entry);
  }
  for (const [n, hosts] of b.nodes) {
    const list = out.nodes.get(n) ?? [];
    for (const h of hosts) add(list, h);
    out.nodes.set(n, list);
  }
  return out;
}

export function toJson(reach: HostReach): HostReachJson {
  return {
    tickets: [...reach.tickets].map(([t, e]) => [t, [...e.hosts], [...e.lookups]]),
    nodes: [...reach.nodes].map(([n, h]) => [n, [...h]]),
  };
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === "string");

/** A header's reach, or null when it is not one. */
export function fromJson(json: unknown): HostReach {
  const out = emptyReach();
  const v = json as Partial<HostReachJson> | null;
  for (const [t, hosts, lookups] of v?.tickets ?? [])
    out.tickets.set(t, { hosts: [...hosts], lookups: [...lookups] });
  for (const [n, hosts] of v?.nodes ?? []) out.nodes.set(n, [...hosts]);
  return out;
}

/** Whether a header field is a reach's JSON form. */
export function isReachJson(json: unknown): json is HostReachJson {
  const v = json as Partial<HostReachJson> | null;
  return (
    Array.isArray(v?.tickets) &&
    v.tickets.every(
      (e) =>
        Array.isArray(e) && e.length === 3 && typeof e[0] === "string" && isStrings(e[1]) && isStrings(e[2]),
    ) &&
    Array.isArray(v.nodes) &&
    v.nodes.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === "string" && isStrings(e[1]))
  );
}
