import { defineConfig } from "tsup";
import { baseTsup, bundleWorkspaceTsup } from "../../tsup.config.base";
import { esmBeside, lazyFsPromises, noZodLocales, relayBeside } from "./bundle-plugins";

// The bin is self-contained: the workspace libraries (from source, the `@catalyst/source`
// condition) and their dependencies are bundled in, so the benchmarked bin is the shipped one. It
// is split at its dynamic imports (issue 25): start-up reads `bin.js` and the chunks a plain
// `--since` needs (~80 KB), while the line parser with zod (~400 KB), fuse (--snapshot), the tailer
// (--follow) and the NATS path are separate chunks, loaded and compiled only when used. The bin
// starts in `bin.cjs` (src/fast-bin.ts, CommonJS): a plain jsonl query runs there, anything else
// imports `bin.js`.
export default defineConfig([
  // The library entry (tests, embedding) bundles the workspace libraries too, like the monitor's.
  { ...baseTsup, ...bundleWorkspaceTsup },
  {
    ...baseTsup,
    // The log index's worker thread (sources' index-pool) is looked for beside the chunk that
    // starts it: emitted as dist/index-worker.js, sharing the byte scan's chunk with the bin. The
    // line parser has a name of its own (`line-parser.js`) for bin.cjs to import.
    entry: {
      bin: "src/bin.ts",
      "index-worker": "../../packages/sources/src/index-worker.ts",
      "line-parser": "../../packages/sources/src/parse-log-line.ts",
    },
    dts: false,
    clean: false,
    sourcemap: false,
    splitting: true,
    noExternal: [/.*/],
    esbuildPlugins: [noZodLocales, relayBeside],
    // Only the shebang: nothing bundled here calls `require` (the relay bundle below does), and
    // a createRequire banner would load node:module and import.meta on every start.
    banner: { js: "#!/usr/bin/env node" },
    esbuildOptions(options) {
      options.conditions = ["@catalyst/source", "module", "import", "node"];
    },
  },
  // The bin's start, CommonJS (src/fast-bin.ts): one file with only the byte path's code. Its
  // import.meta.url (sources' index-pool, to find index-worker.js beside it) is this file's URL.
  {
    ...baseTsup,
    entry: { bin: "src/fast-bin.ts" },
    format: ["cjs"],
    outExtension: () => ({ js: ".cjs" }),
    shims: true,
    dts: false,
    clean: false,
    sourcemap: false,
    splitting: false,
    noExternal: [/.*/],
    // tsup's node-protocol plugin would mark `node:fs/promises` external before lazyFsPromises
    // sees it (Node 20 takes the `node:` names as they are).
    removeNodeProtocol: false,
    esbuildPlugins: [lazyFsPromises, esmBeside, noZodLocales, relayBeside],
    banner: { js: "#!/usr/bin/env node" },
    esbuildOptions(options) {
      options.conditions = ["@catalyst/source", "module", "import", "node"];
    },
  },
  // The relay for --nats, next to the bin (see relayBeside).
  {
    ...baseTsup,
    entry: { relay: "../../packages/relay/src/index.ts" },
    dts: false,
    clean: false,
    sourcemap: false,
    splitting: false,
    noExternal: [/.*/],
    esbuildPlugins: [noZodLocales],
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
    esbuildOptions(options) {
      options.conditions = ["@catalyst/source", "module", "import", "node"];
    },
  },
]);
