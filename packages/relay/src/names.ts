import { nanos } from "@nats-io/transport-node";

/** Where the relay lives on the broker. */
export interface RelayNames {
  /** KV bucket of the last state per key. @default "catalyst-state" */
  bucket?: string;
  /** Stream of event-log lines. @default "CATALYST_EVENTS" */
  stream?: string;
  /** Subject prefix of the stream. @default "catalyst.events" */
  subjectPrefix?: string;
}

export interface ResolvedNames {
  bucket: string;
  stream: string;
  subjectPrefix: string;
}

export function resolveNames(n: RelayNames = {}): ResolvedNames {
  return {
    bucket: n.bucket ?? "catalyst-state",
    stream: n.stream ?? "CATALYST_EVENTS",
    subjectPrefix: n.subjectPrefix ?? "catalyst.events",
  };
}

/** JetStream's de-duplication window of the stream: a re-publish older than this is not caught. @default 10 min */
export const DEFAULT_DUPLICATE_WINDOW_MS = 10 * 60_000;

export function windowNanos(ms: number): number {
  return nanos(ms);
}
