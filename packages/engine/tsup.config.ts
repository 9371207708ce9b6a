import { defineConfig } from "tsup";
import { baseTsup } from "../../tsup.config.base";

// Three doors: the package (src/index.ts), time travel alone (src/time-travel.ts), which
// catalyst-replay loads without the watchers, the pollers or the relay, and the central monitor's
// time travel (src/central-time-travel.ts: time travel and the relay, for `catalyst-replay --nats --at`).
export default defineConfig({
  ...baseTsup,
  entry: ["src/index.ts", "src/time-travel.ts", "src/central-time-travel.ts"],
});
