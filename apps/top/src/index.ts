// catalyst-top's door, for embedding the view in another process: `main(argv, io)` runs it as the
// bin does; `TopApp` draws a `LiveView` of a `FleetSource` (a monitor's URL or an in-process engine).
export { TopApp, type TopAppProps } from "./app.js";
export { embeddedSource, type FleetSource, remoteSource, type SourceState } from "./fleet-source.js";
export { createLiveView, type LiveView } from "./live-view.js";
export { main, type TopIo } from "./main.js";
