import { defineConfig } from "tsup";
import { baseTsup } from "../../tsup.config.base";

// Four doors: the package (src/index.ts, no NATS client), time travel alone (src/time-travel.ts),
// which catalyst-replay loads without the watchers, the pollers or the relay, the central monitor
// (src/central-index.ts: the central engine and its time travel, with the relay), and the central
// monitor's time travel (src/central-time-travel.ts: time travel and the relay, for
// `catalyst-replay --nats --at`).
export default defineConfig({
  ...baseTsup,
  entry: ["src/index.ts", "src/time-travel.ts", "src/central-index.ts", "src/central-time-travel.ts"],
});
