import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { DEFAULT_DUPLICATE_WINDOW_MS, type ResolvedNames, windowNanos } from "./names.js";

/** How to reach the broker. Credentials pass straight to the NATS client and are never echoed in errors. */
export interface BrokerOptions {
  /** NATS URL(s), e.g. `nats://127.0.0.1:4222`; list every node of a cluster so the client fails over. */
  servers: string | string[];
  /** Passed to `connect()` as they are (token, user/pass, authenticator, tls, ...). */
  connectOptions?: Record<string, unknown>;
  /** Reconnect forever by default: a broker restart must not end the relay. */
  maxReconnectAttempts?: number;
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
  const nc = await connect({
    ...options.connectOptions,
    servers: options.servers,
    maxReconnectAttempts: options.maxReconnectAttempts ?? -1,
    reconnectTimeWait: 250,
  });
  try {
    const jsm = await jetstreamManager(nc);
    try {
      await jsm.streams.info(names.stream);
    } catch {
      await jsm.streams.add({
        name: names.stream,
        subjects: [`${names.subjectPrefix}.>`],
        duplicate_window: windowNanos(duplicateWindowMs),
        num_replicas: names.replicas,
      });
    }
    const js = jetstream(nc);
    const kv = await new Kvm(js).create(names.bucket, { history: 1, replicas: names.replicas });
    return { nc, js, jsm, kv };
  } catch (error) {
    await nc.close().catch(() => {});
    throw error;
  }
}
