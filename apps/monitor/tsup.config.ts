import { cp, rm } from "node:fs/promises";
import { publicDir } from "@catalyst/dashboard";
import { defineConfig } from "tsup";
import { baseTsup, bundleWorkspaceTsup } from "../../tsup.config.base";

// Both entries bundle the workspace libraries from source, so `pnpm --filter catalyst-monitor build
// && node dist/bin.js` runs without building them first and the packed app needs no @catalyst/*.
// The dashboard (@catalyst/dashboard, built first by the build script) is copied to dist/public,
// where dist/bin.js looks for it, so the packed app carries it.
export default defineConfig([
  { ...baseTsup, ...bundleWorkspaceTsup },
  {
    ...baseTsup,
    ...bundleWorkspaceTsup,
    entry: { bin: "src/bin.ts" },
    // Split: what only some flags need (the NATS client for --nats / --publish, prom-client for a
    // scrape of /metrics, web-push for browser push) is loaded from its own chunk on first use, so
    // a plain start neither parses nor runs it. The chunks sit beside bin.js in dist/.
    splitting: true,
    dts: false,
    clean: false,
    banner: { js: "#!/usr/bin/env node" },
    async onSuccess() {
      await rm("dist/public", { recursive: true, force: true });
      await cp(publicDir, "dist/public", { recursive: true });
    },
  },
  // The log index's worker thread (sources' index-pool looks for it beside the bundle that
  // starts it): the start-up history and /api/events index big logs off the event loop. Its own
  // bundle, not split, so it shares no chunk with bin.js.
  {
    ...baseTsup,
    ...bundleWorkspaceTsup,
    entry: { "index-worker": "../../packages/sources/src/index-worker.ts" },
    dts: false,
    clean: false,
    sourcemap: false,
    splitting: false,
  },
]);
