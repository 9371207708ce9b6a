import { defineConfig } from "tsup";
import { baseTsup } from "../../tsup.config.base";

// The bin is one self-contained file: the workspace libraries (from source, the `@catalyst/source`
// condition) and their dependencies are bundled in, so start-up resolves and reads no other module
// and the benchmarked bin is the shipped one. fuse is reached only through a dynamic import
// (--snapshot), which esbuild keeps lazy: its module code runs only when that import runs.
export default defineConfig([
  baseTsup,
  {
    ...baseTsup,
    entry: ["src/bin.ts"],
    dts: false,
    clean: false,
    sourcemap: false,
    splitting: false,
    noExternal: [/.*/],
    banner: {
      js: "#!/usr/bin/env node\nimport { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
    esbuildOptions(options) {
      options.conditions = ["@catalyst/source", "module", "import", "node"];
    },
  },
]);
