import { defineConfig } from "tsup";
import { baseTsup, bundleWorkspaceTsup } from "../../tsup.config.base";

// The workspace libraries are bundled in from source, so the packed app needs no @catalyst/*.
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
