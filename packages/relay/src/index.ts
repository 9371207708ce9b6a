// The public door of @catalyst/relay: several machines, one fleet, through NATS JetStream.
export type { Broker, BrokerOptions } from "./broker.js";
export { connectNats, natsConnectOptions, toConnectError } from "./broker.js";
export type {
  NatsAuth,
  NatsConnectionFlag,
  NatsConnectionFlags,
  NatsConnectionSettings,
  NatsUrl,
} from "./command-line.js";
export {
  NATS_CONNECTION_HELP,
  NATS_CONNECTION_OPTIONS,
  NATS_FLAG_EXAMPLES,
  natsFlagsOf,
  parseNatsUrl,
  redactUrl,
  resolveNatsConnection,
} from "./command-line.js";
export type { HostChanges, RelayConsumer, RelayConsumerOptions, RelayProgress } from "./consumer.js";
export { createRelayConsumer } from "./consumer.js";
export type { Cursors, FileCursor } from "./cursor.js";
export { cursorPath, loadCursors } from "./cursor.js";
export type { RelayConnectProblem } from "./errors.js";
export { NatsCredentialsError, RelayConnectError } from "./errors.js";
export type { StateKey } from "./keys.js";
export {
  escapeToken,
  eventSubjectOf,
  messageIdOf,
  parseStateKey,
  stateKeyOf,
  unescapeToken,
} from "./keys.js";
export type { RelayNames } from "./names.js";
export { DEFAULT_DUPLICATE_WINDOW_MS, resolveNames } from "./names.js";
export type { Namespace } from "./namespace-host.js";
export { namespaceGlobalState } from "./namespace-host.js";
export type { RelayPublisher, RelayPublisherOptions, RelayPublisherStats } from "./publisher.js";
export { createRelayPublisher } from "./publisher.js";
export type { ReadRelayEventsOptions, RelayEventStats } from "./read-relay-events.js";
export { readRelayEvents, toLogRecord } from "./read-relay-events.js";
export type { RelayEvent, SpillSorter, SpillSorterOptions, SpillStats } from "./spill-sorter.js";
export { compareRelayEvents, createSpillSorter } from "./spill-sorter.js";
export type { LogMessage, StateMessage } from "./wire.js";
