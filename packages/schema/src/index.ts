export { Alert, AlertsResponse, NotifyChannelHealth } from "./alert.js";
export { ApiError, BriefingResponse, EventsResponse, HealthResponse, SnapshotResponse } from "./api.js";
export type { DeltaFeed, LivenessTarget, PrRef } from "./constants.js";
export { needsYouKey } from "./constants.js";
export type {
  DroppedEvent,
  EnvelopeFields,
  EnvelopeShape,
  EventLineProblem,
} from "./event-envelope.js";
export {
  classifyEnvelope,
  EVENT_LINE_PROBLEMS,
  getEventName,
  OVERSIZED_EVENT,
  PHASE_EVENT_PATTERN,
  parsePhaseAction,
  parsePhaseEvent,
  readEnvelopeFields,
  readTombstone,
  SEVERITY_NUMBERS,
  shortHostName,
  TICKET_PATTERN,
  trailingTicket,
} from "./event-envelope.js";
export type { EventLineParse, EventShape, KnownEventType, NormalizedEvent } from "./event-line.js";
export {
  canonicalToV1,
  EventLine,
  eventLineProblem,
  isValidEventLine,
  KNOWN_EVENT_TYPES,
  normalizeEventLine,
  parseEventLine,
  v1ToCanonical,
} from "./event-line.js";
export {
  AttentionItem,
  GlobalState,
  GlobalWorker,
  GlobalWorkerPr,
  OrchestratorEntry,
  Progress,
  Usage,
} from "./global-state.js";
export { generateJsonSchemas, PUBLISHED_SCHEMAS, renderJsonSchema } from "./json-schemas.js";
export { LocalState, localWaves, Wave } from "./local-state.js";
export {
  parseGlobalStateSteps,
  parseGlobalStateText,
  parseJobStateText,
  parseLocalStateText,
  parsePhaseSignalText,
  parseSignalText,
  UNKNOWN_STATUS,
} from "./parse-files.js";
export type { ParseResult, SchemaIssue } from "./parse-result.js";
export {
  formatJsonPath,
  jsonDepth,
  MAX_JSON_DEPTH,
  makeIssue,
  parseJsonText,
  parseWith,
  trimForMessage,
} from "./parse-result.js";
export type { PipelineColumn, PipelinePhase } from "./phase-signal.js";
export {
  ANCILLARY_PHASES,
  columnOfPhase,
  JobState,
  PhaseHost,
  PhasePr,
  PhaseSignal,
  PIPELINE_COLUMNS,
  PIPELINE_PHASES,
} from "./phase-signal.js";
export {
  ComponentHealth,
  initialHealth,
  LivenessReason,
  LivenessResult,
  PrStatus,
} from "./poller-results.js";
export {
  BriefingMeta,
  CorruptMarker,
  FieldWarning,
  HostView,
  LoadingState,
  NeedsYouItem,
  NeedsYouReason,
  NodeView,
  OrchestratorSummary,
  OrchestratorView,
  PhaseSpan,
  PipelineView,
  ProgressView,
  PrState,
  PrView,
  SignalDetails,
  Snapshot,
  SourceKind,
  WaveView,
  WorkerView,
} from "./snapshot.js";
export type {
  BriefingFileRead,
  FuseInput,
  GlobalStateRead,
  LocalStateRead,
  LogRecord,
  OrchestratorRef,
  PhaseFileRead,
  SignalFileRead,
  SourceChange,
} from "./source-change.js";
export type { DeltaData } from "./sse-events.js";
export {
  AttentionRaised,
  Delta,
  HostsUpdate,
  LivenessChange,
  LogEvent,
  NeedsYouUpdate,
  OrchestratorRemoved,
  OrchestratorUpdate,
  PrUpdate,
  SSE_EVENT_NAMES,
  SSE_KEEP_ALIVE_EVENT,
  SseEventName,
  WaveCompleted,
  WorkerRemoved,
  WorkerUpdate,
} from "./sse-events.js";
export type { KnownWorkerStatus } from "./status.js";
export {
  ABANDONED_WORKER_STATUSES,
  isKnownWorkerStatus,
  isTerminalStatus,
  KNOWN_ATTENTION_TYPES,
  KNOWN_CI_STATUSES,
  KNOWN_ORCHESTRATOR_STATUSES,
  KNOWN_WAVE_STATUSES,
  KNOWN_WORKER_STATUSES,
  phaseOfStatus,
  TERMINAL_WORKER_STATUSES,
  WORKER_LIFECYCLE,
  WorkerStatus,
} from "./status.js";
export { OptionalTimestamp, Timestamp } from "./timestamp.js";
export { isTimestamp, slowTimestampMs, timestampMs } from "./timestamp-parse.js";
export type { TolerancePolicy } from "./tolerant-parse.js";
export { parseTolerant } from "./tolerant-parse.js";
export {
  Continuation,
  Cost,
  Deploy,
  PostMergeVerification,
  SignalPr,
  WorkerSignal,
} from "./worker-signal.js";
