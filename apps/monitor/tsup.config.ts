import { defineConfig } from "tsup";
import { baseTsup, bundleWorkspaceTsup } from "../../tsup.config.base";

// Both entries bundle the workspace libraries from source, so `pnpm --filter catalyst-monitor build
// && node dist/bin.js` runs without building them first and the packed app needs no @catalyst/*.
export default defineConfig([
  { ...baseTsup, ...bundleWorkspaceTsup },
  {
    ...baseTsup,
    ...bundleWorkspaceTsup,
    entry: ["src/bin.ts"],
    dts: false,
    clean: false,
    banner: { js: "#!/usr/bin/env node" },
  },
]);
