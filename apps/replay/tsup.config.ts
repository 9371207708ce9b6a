import type { Plugin } from "esbuild";
import { defineConfig } from "tsup";
import { baseTsup, bundleWorkspaceTsup } from "../../tsup.config.base";

// The bin is self-contained: the workspace libraries (from source, the `@catalyst/source`
// condition) and their dependencies are bundled in, so the benchmarked bin is the shipped one. It
// is split at its dynamic imports (issue 25): start-up reads `bin.js` and the chunks a plain
// `--since` needs (~80 KB), while the line parser with zod (~400 KB), fuse (--snapshot), the tailer
// (--follow) and the NATS path are separate chunks, loaded and compiled only when used.
// zod re-exports every translation of its error messages (`z.locales`, ~400 KB) that nothing here
// uses (errors are in English, which zod imports on its own): leave them out so that Node has less
// to compile before the first line.
const noZodLocales: Plugin = {
  name: "no-zod-locales",
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes("/zod/") ? { path: "zod-locales", namespace: "empty" } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "empty" }, () => ({ contents: "export {};", loader: "js" }));
  },
};

/**
 * `@catalyst/relay` (the NATS client, ~600 KB) is needed only by `--nats`: the bin imports it as the
 * sibling file `./relay.js`, built as its own bundle below, so a local replay does not parse it.
 */
const relayBeside: Plugin = {
  name: "relay-beside",
  setup(build) {
    build.onResolve({ filter: /^@catalyst\/relay$/ }, () => ({ path: "./relay.js", external: true }));
  },
};

export default defineConfig([
  // The library entry (tests, embedding) bundles the workspace libraries too, like the monitor's.
  { ...baseTsup, ...bundleWorkspaceTsup },
  {
    ...baseTsup,
    // The log index's worker thread (sources' index-pool) is looked for beside the chunk that
    // starts it: emitted as dist/index-worker.js, sharing the byte scan's chunk with the bin.
    entry: { bin: "src/bin.ts", "index-worker": "../../packages/sources/src/index-worker.ts" },
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
