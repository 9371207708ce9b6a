import { defineConfig } from "tsup";
import { baseTsup } from "../../tsup.config.base";

// Three doors: the package (src/index.ts), the event-log reader alone (src/event-log.ts), which a
// CLI can load without the watchers, the tailer or the schema (see src/event-log.ts), and the
// catalyst dir and duration grammar the bins share (src/command-line.ts).
export default defineConfig({
  ...baseTsup,
  entry: ["src/index.ts", "src/event-log.ts", "src/command-line.ts"],
});
