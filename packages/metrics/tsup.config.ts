import { defineConfig } from "tsup";
import { baseTsup } from "../../tsup.config.base";

// Two doors: the package (src/index.ts) and `followMonitor` alone (src/follow-monitor.ts), which
// the monitor bundles without prom-client: the registry is loaded at the first scrape.
export default defineConfig({ ...baseTsup, entry: ["src/index.ts", "src/follow-monitor.ts"] });
