import { z } from "zod";
import { SSE_EVENT_NAMES, SSE_KEEP_ALIVE_EVENT } from "./constants.js";
import { EventLine } from "./event-line.js";
import {
  CorruptMarker,
  HostView,
  NeedsYouItem,
  OrchestratorSummary,
  PrState,
  Snapshot,
  WorkerView,
} from "./snapshot.js";
import { WorkerStatus } from "./status.js";
import { Timestamp } from "./timestamp.js";

// Payloads carry the seed's flat fields ({orchestrator, worker, ts, ...}) so seed clients keep
// working, plus the full updated view so a UI can patch in place (FORMATS §5.5).

/** `worker-update`: a worker appeared or its status, phase or other visible fields changed. */
export const WorkerUpdate = z.object({
  orchestrator: z.string(),
  worker: z.string(),
  status: WorkerStatus,
  phase: z.number().int(),
  ts: Timestamp,
  workerState: WorkerView,
});

/** `worker-removed`: a worker's signal file and state entry are gone. */
export const WorkerRemoved = z.object({ orchestrator: z.string(), worker: z.string(), ts: Timestamp });

/** `pr-update`: PR state or CI status changed. */
export const PrUpdate = z.object({
  orchestrator: z.string(),
  worker: z.string(),
  pr: z.number().int(),
  ciStatus: z.string(),
  state: PrState,
  mergedAt: Timestamp.nullable(),
  ts: Timestamp,
  workerState: WorkerView,
});

/** `liveness-change`: a worker's pid started or stopped responding. */
export const LivenessChange = z.object({
  orchestrator: z.string(),
  worker: z.string(),
  alive: z.boolean().nullable(),
  pid: z.number().int().nullable(),
  ts: Timestamp,
  workerState: WorkerView,
});

/** `attention-raised`: an orchestrator added an attention item. */
export const AttentionRaised = z.object({
  orchestrator: z.string(),
  worker: z.string().nullable(),
  attentionType: z.string(),
  message: z.string(),
  ts: Timestamp,
});

/** `wave-completed`: from the log line, or derived when every worker of a wave is terminal. */
export const WaveCompleted = z.object({
  orchestrator: z.string(),
  wave: z.number().int(),
  tickets: z.array(z.string()),
  ts: Timestamp,
  /** True when fuse derived it from worker statuses rather than reading it from the log. */
  derived: z.boolean(),
});

/** `orchestrator-update`: orchestrator-level fields changed (waves, progress, attention, usage). */
export const OrchestratorUpdate = z.object({
  orchestrator: z.string(),
  ts: Timestamp,
  orchestratorState: OrchestratorSummary,
});

/** `orchestrator-removed`: an orchestrator left every source (archived, directory deleted). */
export const OrchestratorRemoved = z.object({ orchestrator: z.string(), ts: Timestamp });

/**
 * `needs-you`: rows of the derived "needs you" list changed, keyed by `needsYouKey`. Only the
 * rows that changed travel (so a frame's size follows the change, not the fleet); the whole,
 * sorted list is in snapshots. Apply: drop every `removed` and `changed` key, then insert
 * `added` and `changed` in `compareNeedsYou` order (fuse's `applyDelta` does this).
 */
export const NeedsYouUpdate = z.object({
  ts: Timestamp,
  /** Rows whose key was not in the list. */
  added: z.array(NeedsYouItem),
  /** Rows whose key was in the list with other content (the new row). */
  changed: z.array(NeedsYouItem),
  /** Rows that left the list, as last sent (match them by `needsYouKey`). */
  removed: z.array(NeedsYouItem),
  /** The snapshot's whole `sourceErrors` list (e.g. an unreadable global state.json), when it changed. */
  sourceErrors: z.array(CorruptMarker).optional(),
});

/** `log-event`: a new line was appended to the event log. */
export const LogEvent = z.object({
  orchestrator: z.string().nullable(),
  worker: z.string().nullable(),
  event: z.string(),
  ts: Timestamp,
  line: EventLine,
});

/**
 * `hosts`: a host went stale or came back, or a new host appeared (only from a monitor that fuses
 * several hosts, `--nats`). Carries the whole, sorted host list: its size follows the number of
 * machines, not workers.
 */
export const HostsUpdate = z.object({ ts: Timestamp, hosts: z.array(HostView) });

export { SSE_EVENT_NAMES, SSE_KEEP_ALIVE_EVENT };
export const SseEventName = z.enum(SSE_EVENT_NAMES);
export type SseEventName = z.infer<typeof SseEventName>;

/** One SSE message as fuse produces it: `id:` is the sequence number, `event:` the name. */
export const Delta = z.discriminatedUnion("event", [
  z.object({ id: z.number().int(), event: z.literal("snapshot"), data: Snapshot }),
  z.object({ id: z.number().int(), event: z.literal("worker-update"), data: WorkerUpdate }),
  z.object({ id: z.number().int(), event: z.literal("worker-removed"), data: WorkerRemoved }),
  z.object({ id: z.number().int(), event: z.literal("pr-update"), data: PrUpdate }),
  z.object({ id: z.number().int(), event: z.literal("liveness-change"), data: LivenessChange }),
  z.object({ id: z.number().int(), event: z.literal("attention-raised"), data: AttentionRaised }),
  z.object({ id: z.number().int(), event: z.literal("wave-completed"), data: WaveCompleted }),
  z.object({ id: z.number().int(), event: z.literal("orchestrator-update"), data: OrchestratorUpdate }),
  z.object({ id: z.number().int(), event: z.literal("orchestrator-removed"), data: OrchestratorRemoved }),
  z.object({ id: z.number().int(), event: z.literal("needs-you"), data: NeedsYouUpdate }),
  z.object({ id: z.number().int(), event: z.literal("log-event"), data: LogEvent }),
  z.object({ id: z.number().int(), event: z.literal("hosts"), data: HostsUpdate }),
]);
export type Delta = z.infer<typeof Delta>;

export type WorkerUpdate = z.infer<typeof WorkerUpdate>;
export type WorkerRemoved = z.infer<typeof WorkerRemoved>;
export type PrUpdate = z.infer<typeof PrUpdate>;
export type LivenessChange = z.infer<typeof LivenessChange>;
export type AttentionRaised = z.infer<typeof AttentionRaised>;
export type WaveCompleted = z.infer<typeof WaveCompleted>;
export type OrchestratorUpdate = z.infer<typeof OrchestratorUpdate>;
export type OrchestratorRemoved = z.infer<typeof OrchestratorRemoved>;
export type NeedsYouUpdate = z.infer<typeof NeedsYouUpdate>;
export type LogEvent = z.infer<typeof LogEvent>;
export type HostsUpdate = z.infer<typeof HostsUpdate>;

/** The payload type for one event name. */
export type DeltaData<E extends SseEventName> = Extract<Delta, { event: E }>["data"];
