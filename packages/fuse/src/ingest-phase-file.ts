import type { FuseInput } from "@catalyst/schema";
import type { StateDraft } from "./draft.js";
import { deleteKey, getKey, setKey } from "./keyed-map.js";
import { ownValue } from "./own-property.js";
import type { PhaseRecord } from "./state.js";

/**
 * Store one phase-file read (or its removal) under its ticket and mark only that worker: a phase
 * file change costs one worker rebuild, whatever the size of the fleet. A read that fails keeps
 * the last good value beside a marker naming the file, like signal files.
 */
export function ingestPhaseFile(
  draft: StateDraft,
  input: Extract<FuseInput, { kind: "phase-signal" | "phase-signal-removed" }>,
  nowIso: string,
): void {
  const rec =
    input.kind === "phase-signal"
      ? draft.orchestrator(input.orchestrator, true)
      : draft.orchestrator(input.orchestrator, false);
  if (!rec) return;
  const before = getKey(rec.phases, input.ticket);
  const prev = before ? ownValue(before, input.phase) : undefined;
  if (input.kind === "phase-signal-removed") {
    if (!before || !prev) return;
    const { [input.phase]: _gone, ...rest } = before;
    rec.phases =
      Object.keys(rest).length > 0
        ? setKey(rec.phases, input.ticket, rest)
        : deleteKey(rec.phases, input.ticket);
    draft.markWorker(rec.id, input.ticket);
    return;
  }
  const { result } = input;
  const next: PhaseRecord = result.ok
    ? {
        file: input.file,
        phase: input.phase,
        value: result.value,
        corrupt: null,
        warnings: result.warnings ?? [],
      }
    : {
        file: input.file,
        phase: input.phase,
        value: prev?.value ?? null,
        corrupt: { file: input.file, reason: result.error.message, since: prev?.corrupt?.since ?? nowIso },
        warnings: prev?.warnings ?? [],
      };
  rec.phases = setKey(rec.phases, input.ticket, { ...before, [input.phase]: next });
  draft.markWorker(rec.id, input.ticket);
}
