// Every JetStream client the relay makes, with one longer request timeout, and a bounded retry for
// the requests a start-up cannot do without (issue 28: at 25 hosts × 2,000 workers a loaded broker
// answered a stream-info after more than the client's 5 s default, and the central monitor exited).
import {
  type JetStreamClient,
  type JetStreamManager,
  type JetStreamManagerOptions,
  jetstream,
  jetstreamManager,
} from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { redactUrl } from "./command-line.js";
import { RelayConnectError } from "./errors.js";

/** How long one JetStream management request waits for its answer (the client's default is 5 s). */
export const JETSTREAM_TIMEOUT_MS = 20_000;

/**
 * How long a request of the running data path waits: a publisher's line publishes and state
 * writes, a reader's pulls. Their callers ask again themselves, so one sent into a broker outage or
 * a node loss should fail soon and go again once the broker answers, not hold the data path for
 * JETSTREAM_TIMEOUT_MS (a three-node cluster losing a node took ~4× as long to catch up with 20 s).
 */
export const DATA_TIMEOUT_MS = 5_000;

/** A JetStream client for the data path ({@link DATA_TIMEOUT_MS}; publishes, pulls, consumers). */
export function jsClient(nc: NatsConnection, options: { checkAPI?: boolean } = {}): JetStreamClient {
  return jetstream(nc, { timeout: DATA_TIMEOUT_MS, ...options });
}

/** A JetStream manager with the relay's request timeout (its API check retried as any request). */
export function jsManager(
  nc: NatsConnection,
  servers: string | string[],
  options: Pick<JetStreamManagerOptions, "checkAPI"> = {},
  policy: RetryPolicy = {},
): Promise<JetStreamManager> {
  return retryJetStream(
    "the JetStream API check",
    servers,
    () => jetstreamManager(nc, { timeout: JETSTREAM_TIMEOUT_MS, ...options }),
    policy,
  );
}

/**
 * The KV manager over a client with the relay's (start-up) request timeout, for creating and
 * opening buckets; a bucket that lives on in the data path is bound to a {@link jsClient}.
 */
export function kvManager(nc: NatsConnection, options: { checkAPI?: boolean } = {}): Kvm {
  return new Kvm(jetstream(nc, { timeout: JETSTREAM_TIMEOUT_MS, ...options }));
}

/** How often and how patiently {@link retryJetStream} tries. */
export interface RetryPolicy {
  /** Tries at least, the first included. @default 4 */
  tries?: number;
  /** More tries while this much time has not passed since the first (a broker still starting). @default 0 */
  withinMs?: number;
  /** The first wait between tries, doubled each time up to `maxDelayMs`. @default 500 */
  delayMs?: number;
  /** @default 4_000 */
  maxDelayMs?: number;
  /** True once the caller stopped: no more tries (the last error is thrown as it is). */
  stopped?: () => boolean;
}

/**
 * Whether a failed JetStream request may succeed when asked again: no answer in time, nobody
 * answering yet (a broker still starting its JetStream, a cluster electing its leader), or the
 * API saying it is busy or unavailable for now. Errors that name a real problem (not found,
 * refused, a bad request) are not.
 */
export function isTransientJetStreamError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && typeof e === "object" && depth < 5; depth++) {
    const { name, message } = e as { name?: unknown; message?: unknown };
    if (name === "TimeoutError" || name === "NoResponders" || name === "JetStreamNotEnabled") return true;
    // A JetStreamApiError's `status` is the API's HTTP-like code: 503 unavailable, 408 timed out.
    const status = name === "JetStreamApiError" ? (e as { status?: unknown }).status : undefined;
    if (status === 503 || status === 408) return true;
    if (
      typeof message === "string" &&
      /timeout|timed out|no responders|temporarily unavailable/i.test(message)
    )
      return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Runs one JetStream request, asking again after a transient failure (see
 * {@link isTransientJetStreamError}) with a doubling wait, a bounded number of times. When it gives
 * up, throws a one-line RelayConnectError (`problem: "timeout"`) that names what was asked and the
 * broker (credentials hidden); any other error is thrown as it is.
 */
export async function retryJetStream<T>(
  what: string,
  servers: string | string[],
  run: () => Promise<T>,
  policy: RetryPolicy = {},
): Promise<T> {
  const tries = Math.max(1, policy.tries ?? 4);
  const maxDelay = policy.maxDelayMs ?? 4_000;
  let delay = policy.delayMs ?? 500;
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (!isTransientJetStreamError(error) || policy.stopped?.()) throw error;
      const elapsed = Date.now() - started;
      if (attempt >= tries && elapsed + delay > (policy.withinMs ?? 0))
        throw jetStreamTimeout(what, servers, attempt, elapsed, error);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(maxDelay, delay * 2);
    }
  }
}

function jetStreamTimeout(
  what: string,
  servers: string | string[],
  tries: number,
  elapsedMs: number,
  error: unknown,
): RelayConnectError {
  const where = redactUrl(Array.isArray(servers) ? servers.join(",") : servers);
  const reason = error instanceof Error && error.message !== "" ? error.message : String(error);
  const seconds = Math.max(1, Math.round(elapsedMs / 1000));
  return new RelayConnectError(
    `the NATS broker at ${where} did not answer ${what} (${tries} tries over ${seconds} s; last: ${oneLine(reason)})`,
    "timeout",
    { cause: error, operation: what },
  );
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 160 ? `${line.slice(0, 160)}…` : line;
}

/** The stream (or a KV bucket's stream) does not exist. */
export function isStreamNotFound(error: unknown): boolean {
  const e = error as { message?: string; name?: string; code?: number; api_error?: { err_code?: number } };
  return (
    e?.name === "StreamNotFoundError" ||
    e?.api_error?.err_code === 10059 ||
    /stream not found/i.test(e?.message ?? "")
  );
}

/** The durable consumer does not exist. */
export function isConsumerNotFound(error: unknown): boolean {
  const e = error as { message?: string; name?: string; api_error?: { err_code?: number } };
  return (
    e?.name === "ConsumerNotFoundError" ||
    e?.api_error?.err_code === 10014 ||
    /consumer not found/i.test(e?.message ?? "")
  );
}
