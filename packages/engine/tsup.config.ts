import { defineConfig } from "tsup";
import { baseTsup } from "../../tsup.config.base";

// Two doors: the package (src/index.ts) and time travel alone (src/time-travel.ts), which
// catalyst-replay loads without the watchers, the pollers or the relay.
export default defineConfig({ ...baseTsup, entry: ["src/index.ts", "src/time-travel.ts"] });
