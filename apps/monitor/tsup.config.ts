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
    // The log index's worker thread (sources' index-pool looks for it beside the bundle that
    // starts it): the start-up history and /api/events index big logs off the event loop.
    entry: { bin: "src/bin.ts", "index-worker": "../../packages/sources/src/index-worker.ts" },
    dts: false,
    clean: false,
    banner: { js: "#!/usr/bin/env node" },
    async onSuccess() {
      await rm("dist/public", { recursive: true, force: true });
      await cp(publicDir, "dist/public", { recursive: true });
    },
  },
]);
