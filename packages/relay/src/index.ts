// The public door of @catalyst/relay: several machines, one fleet, through NATS JetStream.
export type { Broker, BrokerOptions } from "./broker.js";
export type { HostChanges, RelayConsumer, RelayConsumerOptions, RelayProgress } from "./consumer.js";
export { createRelayConsumer } from "./consumer.js";
export type { Cursors, FileCursor } from "./cursor.js";
export { cursorPath, loadCursors } from "./cursor.js";
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
export type { LogMessage, StateMessage } from "./wire.js";
