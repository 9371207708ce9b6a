// Hosts gone for good: their KV keys deleted, so every central monitor drops them (issue 28).
import type { KV } from "@nats-io/kv";
import { type BrokerOptions, openBroker } from "./broker.js";
import { escapeToken, parseStateKey, stateKeyOf } from "./keys.js";
import { type RelayNames, resolveNames } from "./names.js";

/** A host as the broker's KV knows it. */
export interface BrokerHost {
  name: string;
  /** When its publisher last wrote its heartbeat key (the broker's stamp); null: none in the KV. */
  lastHeartbeat: Date | null;
  /** Its keys in the KV (signals, states, liveness, heartbeat). */
  keys: number;
}

/**
 * Deletes every KV key of one host, its heartbeat last (a central monitor forgets the host when
 * the heartbeat goes). Returns how many keys were deleted. The stream's log lines stay (its
 * retention ages them out).
 */
export async function deleteHostKeys(kv: KV, host: string): Promise<number> {
  const keys: string[] = [];
  for await (const k of await kv.keys(`${escapeToken(host)}.>`)) keys.push(k);
  const beat = stateKeyOf({ kind: "heartbeat", host });
  keys.sort((a, b) => Number(a === beat) - Number(b === beat));
  for (const k of keys) await kv.delete(k);
  return keys.length;
}

/** Every host with a key in the KV, sorted by name, with its last heartbeat. One pass over the keys. */
export async function listBrokerHosts(options: BrokerOptions & RelayNames): Promise<BrokerHost[]> {
  const broker = await openBroker(options, resolveNames(options));
  try {
    const counts = new Map<string, number>();
    for await (const k of await broker.kv.keys()) {
      const parsed = parseStateKey(k);
      if (parsed) counts.set(parsed.host, (counts.get(parsed.host) ?? 0) + 1);
    }
    const out: BrokerHost[] = [];
    for (const [name, keys] of counts) {
      const beat = await broker.kv.get(stateKeyOf({ kind: "heartbeat", host: name }));
      out.push({ name, keys, lastHeartbeat: beat?.operation === "PUT" ? beat.created : null });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } finally {
    await broker.nc.close().catch(() => {});
  }
}

/** Deletes one host's KV keys (see {@link deleteHostKeys}); resolves to how many there were. */
export async function forgetHost(options: BrokerOptions & RelayNames & { host: string }): Promise<number> {
  const broker = await openBroker(options, resolveNames(options));
  try {
    return await deleteHostKeys(broker.kv, options.host);
  } finally {
    await broker.nc.close().catch(() => {});
  }
}
