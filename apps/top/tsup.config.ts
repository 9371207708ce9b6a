import { defineConfig } from "tsup";
import { baseTsup, bundleWorkspaceTsup } from "../../tsup.config.base";

// Like the monitor: the workspace libraries are bundled in from source, Ink and React stay npm
// dependencies of the app.
export default defineConfig([
  { ...baseTsup, ...bundleWorkspaceTsup },
  {
    ...baseTsup,
    ...bundleWorkspaceTsup,
    entry: ["src/bin.ts"],
    // bin.ts imports main.ts (and with it Ink) dynamically, after hiding CI from Ink: main must be
    // its own chunk, or esbuild would hoist Ink's import above the bin's first line.
    splitting: true,
    dts: false,
    clean: false,
    banner: { js: "#!/usr/bin/env node" },
  },
]);
