import { StateImportError } from "./errors.js";
import type { FuseState } from "./state.js";
import { migrateTicketOwners } from "./ticket-owners.js";

/** The version of {@link exportState}'s format; {@link importState} accepts only this one. */
export const STATE_EXPORT_VERSION = 1;

/** A fold's state as plain JSON data (see {@link exportState}). */
export interface FuseStateExport {
  v: typeof STATE_EXPORT_VERSION;
  state: unknown;
}

/**
 * The state as JSON-safe data, for keeping a fold to resume later (catalyst-replay's time-travel
 * checkpoints). Pure: the state is not changed, and `JSON.stringify` of the result round-trips
 * through {@link importState} to a state that folds on exactly as the original would.
 */
export function exportState(state: FuseState): FuseStateExport {
  // The state is plain data (records, arrays, strings, numbers, booleans, null); the only thing
  // JSON changes is a hole in a keyed map's bucket array, which importState restores.
  return { v: STATE_EXPORT_VERSION, state: JSON.parse(JSON.stringify(state)) };
}

/**
 * `JSON.stringify(exportState(state))`, without building the copy in between: what a checkpoint
 * writer keeps on disk, at a third of the memory. Pure.
 */
export function exportStateJson(state: FuseState): string {
  return `{"v":${STATE_EXPORT_VERSION},"state":${JSON.stringify(state)}}`;
}

/** Options of {@link importState}. */
export interface ImportStateOptions {
  /**
   * The data is the caller's to give away (e.g. just `JSON.parse`d and used for nothing else): the
   * state is built in place instead of from a copy, which halves the memory a large import needs.
   * The data must not be used afterwards. Default false (the data is copied and left as it was).
   */
  adopt?: boolean;
  /**
   * Every part of the data already went through {@link restoreExportHoles} (a caller that parses
   * a large export piece by piece, between turns of the event loop): the walk over the whole state
   * that restores them is skipped. Only with `adopt`.
   */
  holesRestored?: boolean;
}

/**
 * The state from {@link exportState}'s data (e.g. after `JSON.parse`). Throws `StateImportError`
 * on another version or on data that is not an exported state; it does not check every field,
 * so pass only what exportState wrote.
 */
export function importState(data: unknown, options: ImportStateOptions = {}): FuseState {
  const exported = data as Partial<FuseStateExport> | null;
  if (exported?.v !== STATE_EXPORT_VERSION || typeof exported.state !== "object" || exported.state === null)
    throw new StateImportError(`not a fuse state export of version ${STATE_EXPORT_VERSION}`);
  const state = (
    options.adopt && options.holesRestored
      ? exported.state
      : restoreHoles(options.adopt ? exported.state : structuredClone(exported.state))
  ) as FuseState;
  migrateTicketOwners(state);
  return state;
}

/**
 * Restore, in place, what JSON changed in one part of an export (a value under `state`, e.g. one
 * orchestrator's record just parsed): keyed maps' empty buckets, written as null. Returns `value`.
 * Then {@link importState} with `{ adopt: true, holesRestored: true }` takes the whole.
 */
export function restoreExportHoles(value: unknown): unknown {
  return restoreHoles(value);
}

/** Keyed maps (`{size, buckets}`) store empty buckets as holes, which JSON wrote as null. */
function restoreHoles(value: unknown): unknown {
  if (Array.isArray(value)) {
    for (const item of value) restoreHoles(item);
    return value;
  }
  if (value === null || typeof value !== "object") return value;
  const obj = value as Record<string, unknown>;
  if (typeof obj.size === "number" && Array.isArray(obj.buckets) && Object.keys(obj).length === 2) {
    obj.buckets = obj.buckets.map((b) => (b === null ? undefined : b));
  }
  for (const key of Object.keys(obj)) restoreHoles(obj[key]);
  return value;
}
