import { defineConfig } from "tsup";
import { baseTsup } from "../../tsup.config.base";

// Two doors: the package (src/index.ts) and the event-log reader alone (src/event-log.ts), which a
// CLI can load without the watchers, the tailer or the schema (see src/event-log.ts).
export default defineConfig({ ...baseTsup, entry: ["src/index.ts", "src/event-log.ts"] });
