// The one public door of @catalyst/notify: everything not listed here is internal.
export { deepLink, severityOf } from "./alert-text.js";
export type { Notifier } from "./create-notifier.js";
export { createNotifier, createTestAlert, needsYouIncidentKey } from "./create-notifier.js";
export { NotifyOptionsError } from "./errors.js";
export type { NotifierOptions } from "./options.js";
export {
  DEFAULT_CLEAR_HOLD_MS,
  DEFAULT_CORRELATE_MS,
  DEFAULT_DUE_PER_TICK,
  DEFAULT_HOLD_MS,
  parseOptInKinds,
} from "./options.js";
export type {
  Alert,
  IncidentChanges,
  NotifierStats,
  OptInKind,
  PersistedIncident,
  Severity,
} from "./types.js";
export { OPT_IN_KINDS } from "./types.js";
