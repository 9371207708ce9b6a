// The one public door of @catalyst/notify-channels: everything not listed here is internal.

export type { Alerting, AlertingOptions, PushEndpoints } from "./alerting.js";
export {
  buildChannels,
  createAlerting,
  incidentStoreName,
  readSecretFile,
  sendTestAlert,
} from "./alerting.js";
export type { PushRequest } from "./bin-support.js";
export { answerPushRequest, notifyTestUsage, runNotifyTest } from "./bin-support.js";
export type { Channel } from "./channel.js";
export { alertKeyOf, channelIdOf, deliveryKeyOf } from "./delivery-key.js";
export type {
  ChannelHealth,
  DispatchEvent,
  Dispatcher,
  DispatcherOptions,
  DispatchOptions,
} from "./dispatcher.js";
export { createDispatcher } from "./dispatcher.js";
export { ChannelConfigError, ChannelError } from "./errors.js";
export type { ExecChannelOptions } from "./exec-channel.js";
export { createExecChannel } from "./exec-channel.js";
export type { FetchLike } from "./http-post.js";
export type {
  IncidentStore,
  IncidentStoreStats,
  OutboxChanges,
  OutboxEntry,
  StoreChanges,
  StoreState,
} from "./incident-store.js";
export { createIncidentStore } from "./incident-store.js";
export type { AlertLog, LoggedAlertingOptions } from "./logged-alerting.js";
export { createLoggedAlerting, startAlertingAfter } from "./logged-alerting.js";
export type { NotifyFlags } from "./notify-flags.js";
export {
  hasNotifyChannels,
  NOTIFY_CLI_OPTIONS,
  NOTIFY_HELP,
  notifyFlagsOf,
  parseShortDuration,
} from "./notify-flags.js";
export type { AlertFeed, NotifyRuntime, NotifyRuntimeOptions } from "./notify-runtime.js";
export { createNotifyRuntime } from "./notify-runtime.js";
export type { NtfyChannelOptions } from "./ntfy-channel.js";
export { createNtfyChannel, ntfyHeaders } from "./ntfy-channel.js";
export { parseHttpUrl, redactUrl } from "./redact-url.js";
export { readJsonFile, resolveConfigDir, resolveStateDir, writeJsonFile } from "./state-files.js";
export type { PushSubscriptionJson, PushSubscriptions, VapidKeys } from "./web-push-channel.js";
export {
  checkPushEndpoint,
  createWebPushChannel,
  loadPushSubscriptions,
  loadVapidKeys,
  parsePushSubscription,
  pushPayload,
} from "./web-push-channel.js";
export type { WebhookChannelOptions, WebhookFormat } from "./webhook-channel.js";
export { createWebhookChannel, webhookBody, webhookHeaders } from "./webhook-channel.js";
