import {
  type AttentionItem,
  type GlobalState,
  localWaves,
  type OrchestratorEntry,
  type PrStatus,
  type SchemaIssue,
  type Wave,
} from "@catalyst/schema";
import { ownValue } from "./own-property.js";
import type { FuseState, OrchestratorRecord, StateFileRecord } from "./state.js";
import { FUTURE_SKEW_MS } from "./time.js";

/** What every worker of one orchestrator reads besides its own inputs. */
export interface OrchestratorContext {
  record: OrchestratorRecord;
  /** This orchestrator's entry in the global state.json (fleet truth), if any. */
  entry: OrchestratorEntry | null;
  waves: Wave[];
  /** Ticket → wave number, from the local waves and then the log's `wave-started` lines. */
  waveOf: Map<string, number>;
  /** Open attention items, newest first. */
  attention: AttentionItem[];
  /** Ticket → message of its newest open attention item. */
  attentionByTicket: Map<string, string>;
  prStatuses: Readonly<Record<string, PrStatus>>;
  /** Timestamps after this (now + FUTURE_SKEW_MS) are not trusted. */
  futureLimitMs: number;
  /** Worker key → the global state.json warnings inside its entry. */
  globalWarnings: Map<string, SchemaIssue[]>;
}

// Attention lives in the global state (FORMATS §3.5, §8.11); the local file and the log are
// fallbacks for orchestrators the global state does not list.
function pickAttention(record: OrchestratorRecord, entry: OrchestratorEntry | null): AttentionItem[] {
  if (entry && "attention" in entry) return entry.attention ?? [];
  const local = record.local?.value?.attention;
  if (Array.isArray(local) && local.length > 0) return local;
  return record.log?.attention ?? [];
}

/**
 * The global state.json that lists the orchestrator, with its entry: the first file (in the order
 * the files were first read) that has it. Costs one lookup per global file, never a pass over the
 * fleet: one for a local catalyst dir, one per host centrally (where ids are namespaced, so two
 * hosts never list the same one).
 */
function findGlobalEntry(
  globals: FuseState["globals"],
  id: string,
): { file: StateFileRecord<GlobalState>; entry: OrchestratorEntry } | null {
  for (const file of Object.values(globals)) {
    const entry = ownValue(file.value?.orchestrators, id);
    if (entry) return { file, entry };
  }
  return null;
}

/** Gather the orchestrator-wide inputs once per recompute. */
export function buildOrchestratorContext(
  state: { globals: FuseState["globals"]; prStatuses: FuseState["prStatuses"] },
  record: OrchestratorRecord,
  nowMs = Number.POSITIVE_INFINITY,
): OrchestratorContext {
  const found = findGlobalEntry(state.globals, record.id);
  const entry = found?.entry ?? null;
  const waves = record.local?.value ? localWaves(record.local.value) : [];
  const waveOf = new Map<string, number>();
  for (const [wave, logWave] of Object.entries(record.log?.waves ?? {})) {
    for (const ticket of logWave.tickets) waveOf.set(ticket, Number(wave));
  }
  for (const wave of waves) for (const ticket of wave.tickets ?? []) waveOf.set(ticket, wave.wave);
  const attention = pickAttention(record, entry);
  const attentionByTicket = new Map<string, string>();
  for (const item of attention) {
    const ticket = item.ticketId;
    if (typeof ticket === "string" && ticket !== "" && !attentionByTicket.has(ticket)) {
      attentionByTicket.set(ticket, item.message ? `${item.type}: ${item.message}` : item.type);
    }
  }
  const globalWarnings = new Map<string, SchemaIssue[]>();
  // Only the warnings of the file that holds the entry: another host's file cannot name this id.
  for (const issue of found?.file.warnings ?? []) {
    const [top, id, workers, key] = issue.segments ?? [];
    if (top !== "orchestrators" || id !== record.id || workers !== "workers" || typeof key !== "string")
      continue;
    globalWarnings.set(key, [...(globalWarnings.get(key) ?? []), issue]);
  }
  return {
    record,
    entry,
    waves,
    waveOf,
    attention,
    attentionByTicket,
    prStatuses: state.prStatuses,
    futureLimitMs: nowMs + FUTURE_SKEW_MS,
    globalWarnings,
  };
}
