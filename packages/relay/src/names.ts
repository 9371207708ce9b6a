import { nanos } from "@nats-io/transport-node";

/** Where the relay lives on the broker. */
export interface RelayNames {
  /** KV bucket of the last state per key. @default "catalyst-state" */
  bucket?: string;
  /** KV bucket of the stream's time index (per host and hour of the lines' own ts). @default "catalyst-index" */
  indexBucket?: string;
  /** Stream of event-log lines. @default "CATALYST_EVENTS" */
  stream?: string;
  /** Subject prefix of the stream. @default "catalyst.events" */
  subjectPrefix?: string;
  /**
   * Copies of the stream and the KV bucket a JetStream cluster keeps (1, 3 or 5; at most the
   * cluster's size). Used when the relay creates them: an existing stream or bucket keeps its own.
   * @default 1
   */
  replicas?: number;
}

export interface ResolvedNames {
  bucket: string;
  indexBucket: string;
  stream: string;
  subjectPrefix: string;
  replicas: number;
}

export function resolveNames(n: RelayNames = {}): ResolvedNames {
  return {
    bucket: n.bucket ?? "catalyst-state",
    indexBucket: n.indexBucket ?? "catalyst-index",
    stream: n.stream ?? "CATALYST_EVENTS",
    subjectPrefix: n.subjectPrefix ?? "catalyst.events",
    replicas: n.replicas ?? 1,
  };
}

/** JetStream's de-duplication window of the stream: a re-publish older than this is not caught. @default 10 min */
export const DEFAULT_DUPLICATE_WINDOW_MS = 10 * 60_000;

export function windowNanos(ms: number): number {
  return nanos(ms);
}
