import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import { Kvm } from "@nats-io/kv";
import { connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { type NatsAuth, redactUrl } from "./command-line.js";
import { RelayConnectError, type RelayConnectProblem } from "./errors.js";
import {
  isStreamNotFound,
  jsClient,
  jsManager,
  kvManager,
  type RetryPolicy,
  retryJetStream,
} from "./jetstream-calls.js";
import { DEFAULT_DUPLICATE_WINDOW_MS, type ResolvedNames, windowNanos } from "./names.js";

/** How to reach the broker. Credentials pass straight to the NATS client and are never echoed in errors. */
export interface BrokerOptions {
  /** NATS URL(s), e.g. `nats://127.0.0.1:4222`; list every node of a cluster so the client fails over. */
  servers: string | string[];
  /** Credentials and TLS as plain data (`resolveNatsConnection` of `@catalyst/relay/command-line`). */
  auth?: NatsAuth;
  /** Passed to `connect()` as they are (token, user/pass, authenticator, tls, ...); applied after `auth`. */
  connectOptions?: Record<string, unknown>;
  /** Reconnect forever by default: a broker restart must not end the relay. */
  maxReconnectAttempts?: number;
  /**
   * How long the first connection keeps trying a broker it cannot reach yet (down, starting),
   * and how long start-up keeps asking a JetStream that does not answer in time, before giving up.
   * @default 0: an unreachable broker fails at once; a slow request is asked 4 times
   */
  connectWaitMs?: number;
}

export interface Broker {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  kv: KV;
}

/** Connect, then create the stream and the KV bucket if missing (idempotent). */
export async function openBroker(
  options: BrokerOptions,
  names: ResolvedNames,
  duplicateWindowMs = DEFAULT_DUPLICATE_WINDOW_MS,
): Promise<Broker> {
  const nc = await connectNats(options);
  const servers = options.servers;
  const policy = startupRetryPolicy(options);
  try {
    const jsm = await jsManager(nc, servers, {}, policy);
    const streamExists = await retryJetStream(
      `the info of stream ${names.stream}`,
      servers,
      () =>
        jsm.streams.info(names.stream).then(
          () => true,
          (error: unknown) => {
            if (isStreamNotFound(error)) return false;
            throw error;
          },
        ),
      policy,
    );
    if (!streamExists)
      await retryJetStream(
        `the creation of stream ${names.stream}`,
        servers,
        () =>
          jsm.streams.add({
            name: names.stream,
            subjects: [`${names.subjectPrefix}.>`],
            duplicate_window: windowNanos(duplicateWindowMs),
            num_replicas: names.replicas,
          }),
        policy,
      );
    await retryJetStream(
      `the opening of KV bucket ${names.bucket}`,
      servers,
      () => kvManager(nc).create(names.bucket, { history: 1, replicas: names.replicas }),
      policy,
    );
    // The data path (publishes, state writes, the watch) on the shorter timeout: its callers
    // ask again, and a request sent into an outage should not hold them 20 s.
    const js = jsClient(nc);
    const kv = await retryJetStream(
      `the binding of KV bucket ${names.bucket}`,
      servers,
      () => new Kvm(js).open(names.bucket),
      policy,
    );
    return { nc, js, jsm, kv };
  } catch (error) {
    await nc.close().catch(() => {});
    throw error;
  }
}

/** The retry of start-up requests: 4 tries at least, more while `connectWaitMs` has not passed. */
export function startupRetryPolicy(options: Pick<BrokerOptions, "connectWaitMs">): RetryPolicy {
  // Each try waits up to JETSTREAM_TIMEOUT_MS (20 s) for its answer, then 0.5, 1, 2, 4, 4… s.
  return { tries: 4, withinMs: options.connectWaitMs ?? 0 };
}

/** The NATS `connect()` options for plain-data credentials: token, user/pass, creds, TLS. */
export function natsConnectOptions(auth: NatsAuth | undefined): Record<string, unknown> {
  if (!auth) return {};
  const out: Record<string, unknown> = {};
  if (auth.token !== undefined) out.token = auth.token;
  if (auth.user !== undefined) {
    out.user = auth.user;
    out.pass = auth.pass ?? "";
  }
  if (auth.creds !== undefined) out.authenticator = credsAuthenticator(auth.creds);
  if (auth.tls !== undefined) out.tls = { ...auth.tls };
  return out;
}

/**
 * Connect to the broker. The first connection fails at once (no waiting for a broker that is not
 * there); later disconnects reconnect forever by default. A failure becomes a RelayConnectError with
 * a one-line message: the broker (credentials hidden) and what went wrong, never a secret.
 */
export async function connectNats(options: BrokerOptions): Promise<NatsConnection> {
  const waitMs = options.connectWaitMs ?? 0;
  const started = Date.now();
  let delay = 250;
  for (;;) {
    try {
      return await connect({
        ...natsConnectOptions(options.auth),
        ...options.connectOptions,
        servers: options.servers,
        maxReconnectAttempts: options.maxReconnectAttempts ?? -1,
        reconnectTimeWait: 250,
      });
    } catch (error) {
      const failure = toConnectError(error, options.servers);
      // Only a broker not there yet is waited for: refused credentials or TLS never get better.
      if (failure.problem !== "unreachable" || waitMs <= 0) throw failure;
      const waited = Date.now() - started;
      if (waited + delay > waitMs) {
        const seconds = Math.max(1, Math.round(waited / 1000));
        throw new RelayConnectError(
          failure.message.replace(" (", ` after waiting ${seconds} s (`),
          "unreachable",
          {
            cause: error,
          },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(2_000, delay * 2);
    }
  }
}

const TLS_CODES = /^(ERR_TLS|ERR_SSL|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|CERT_|HOSTNAME_MISMATCH)/;

/** Name what went wrong connecting, in one line without secrets. */
export function toConnectError(error: unknown, servers: string | string[]): RelayConnectError {
  if (error instanceof RelayConnectError) return error;
  const where = redactUrl(Array.isArray(servers) ? servers.join(",") : servers);
  const chain: { name?: string; message?: string; code?: string }[] = [];
  for (
    let e: unknown = error;
    e && typeof e === "object" && chain.length < 5;
    e = (e as { cause?: unknown }).cause
  )
    chain.push(e as { name?: string; message?: string; code?: string });
  const text = chain.map((e) => `${e.name ?? ""} ${e.message ?? ""} ${e.code ?? ""}`).join(" ");
  // The innermost message is the most specific (node's TLS reason, "Authorization Violation").
  const reason = oneLine(
    chain.findLast((e) => typeof e.message === "string" && e.message !== "")?.message ?? String(error),
  );
  let problem: RelayConnectProblem = "other";
  let message: string;
  if (/authoriz|authenticat|user authentication|permissions? violation/i.test(text)) {
    problem = "auth";
    message = `the NATS broker at ${where} refused the credentials (${reason})`;
  } else if (
    chain.some((e) => typeof e.code === "string" && TLS_CODES.test(e.code)) ||
    /\btls\b|ssl|certificate/i.test(text)
  ) {
    problem = "tls";
    message = `TLS with the NATS broker at ${where} failed (${reason})`;
  } else if (
    /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|ECONNRESET|EAI_AGAIN|connection refused|timeout/i.test(
      text,
    )
  ) {
    problem = "unreachable";
    message = `cannot reach the NATS broker at ${where} (${reason})`;
  } else message = `cannot connect to the NATS broker at ${where} (${reason})`;
  return new RelayConnectError(message, problem, { cause: error });
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
