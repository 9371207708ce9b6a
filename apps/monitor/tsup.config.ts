import { defineConfig } from "tsup";
import { baseTsup } from "../../tsup.config.base";

// The bin bundles the workspace libraries from source (the `@catalyst/source` condition), so
// `pnpm --filter catalyst-monitor build && node dist/bin.js` runs without building them first.
export default defineConfig([
  baseTsup,
  {
    ...baseTsup,
    entry: ["src/bin.ts"],
    dts: false,
    clean: false,
    banner: { js: "#!/usr/bin/env node" },
    noExternal: [/^@catalyst\//],
    esbuildOptions(options) {
      options.conditions = ["@catalyst/source", "import", "node"];
    },
  },
]);
