// catalyst-top's pieces, for tests, the benchmark and embedding.

export { UsageError } from "@catalyst/sources/command-line";
export { TopApp, type TopAppProps } from "./app.js";
export { DEFAULT_URL, HELP_TEXT, parseTopArgs, type TopOptions } from "./cli.js";
export {
  type EventLineView,
  embeddedSource,
  eventLineView,
  type FleetSource,
  remoteSource,
  type SourceState,
} from "./fleet-source.js";
export { createLiveView, type LiveView, type LiveViewState, paneEventOf } from "./live-view.js";
export { main, type TopIo } from "./main.js";
export { plainTable } from "./plain.js";
export { createThrottle, type Throttle, type ThrottleTimers } from "./throttle.js";
export * from "./view-model.js";
