// The public door of @catalyst/relay: several machines, one fleet, through NATS JetStream. It names
// what other members use and the types of those signatures; the subject and key encoding, cursors, the
// spill sorter and the connection options are internal. The NATS-free command-line part (flags, help text, URL parsing)
// has its own door, `@catalyst/relay/command-line`.
export type { Broker, BrokerOptions } from "./broker.js";
export { openBroker } from "./broker.js";
export type { NatsAuth, NatsConnectionFlags, NatsConnectionSettings } from "./command-line.js";
export { redactUrl, resolveNatsConnection } from "./command-line.js";
export type { HostChanges, RelayConsumer, RelayConsumerOptions, RelayProgress } from "./consumer.js";
export { createRelayConsumer } from "./consumer.js";
export type { RelayConnectProblem } from "./errors.js";
export { NatsCredentialsError, RelayConnectError } from "./errors.js";
export type { BrokerHost, ForgottenHost } from "./forget-host.js";
export { forgetHost, listBrokerHosts } from "./forget-host.js";
export type { LateLineCheck, StreamPosition } from "./late-lines.js";
export { checkLateLines, readStreamPosition } from "./late-lines.js";
export { readLogStart } from "./log-start.js";
export type { RelayNames } from "./names.js";
export { resolveNames } from "./names.js";
export type { Namespace } from "./namespace-host.js";
export type {
  RelayLivenessReport,
  RelayPublisher,
  RelayPublisherOptions,
  RelayPublisherStats,
} from "./publisher.js";
export { createRelayPublisher } from "./publisher.js";
export type { ReadRelayEventsOptions, RelayEventStats } from "./read-relay-events.js";
export { readRelayEvents, toLogRecord } from "./read-relay-events.js";
export type { RelayEvent } from "./spill-sorter.js";
export { IndexPruneError } from "./time-index.js";
