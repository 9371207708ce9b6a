import { defineConfig } from "tsup";
import { baseTsup } from "../../tsup.config.base";

// Three doors (and the index worker's body): the package (src/index.ts), the event-log reader alone (src/event-log.ts), which a
// CLI can load without the watchers, the tailer or the schema (see src/event-log.ts), and the
// catalyst dir and duration grammar the bins share (src/command-line.ts).
export default defineConfig({
  ...baseTsup,
  // index-worker: the body of the log index's worker threads, found beside the built doors.
  entry: ["src/index.ts", "src/event-log.ts", "src/command-line.ts", "src/index-worker.ts"],
});
