// esbuild plugins of the bin's bundles, shared by tsup.config.ts (the shipped dist/) and the tests'
// bundle (src/bundle-bin.test-helper.ts), so that the bin the tests run is built like the shipped one.
import type { Options } from "tsup";

/** An esbuild plugin, as tsup takes them (esbuild itself is tsup's dependency, not ours). */
type Plugin = NonNullable<Options["esbuildPlugins"]>[number];

/**
 * zod re-exports every translation of its error messages (`z.locales`, ~400 KB) that nothing here
 * uses (errors are in English, which zod imports on its own): leave them out so that Node has less
 * to compile.
 */
export const noZodLocales: Plugin = {
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
 * sibling file `./relay.js`, built as its own bundle, so a local replay does not parse it.
 */
export const relayBeside: Plugin = {
  name: "relay-beside",
  setup(build) {
    build.onResolve({ filter: /^@catalyst\/relay$/ }, () => ({ path: "./relay.js", external: true }));
  },
};

/** The function exports of `node:fs/promises` on Node 20. */
const FS_PROMISES = [
  "access",
  "appendFile",
  "chmod",
  "chown",
  "copyFile",
  "cp",
  "lchown",
  "link",
  "lstat",
  "lutimes",
  "mkdir",
  "mkdtemp",
  "open",
  "opendir",
  "readFile",
  "readdir",
  "readlink",
  "realpath",
  "rename",
  "rm",
  "rmdir",
  "stat",
  "statfs",
  "symlink",
  "truncate",
  "unlink",
  "utimes",
  "watch",
  "writeFile",
];

/**
 * For the CommonJS start of the bin (issue 25): `node:fs/promises` loads 13 more Node modules
 * (FileHandle, streams, readline, watchers) that a warm `--since` never uses before its first line
 * (its first-line path is synchronous). Each import of it becomes functions that require it on
 * their first call. (An ES module cannot do this: Node's ES view of `node:fs` loads it anyway.)
 */
export const lazyFsPromises: Plugin = {
  name: "lazy-fs-promises",
  setup(build) {
    build.onResolve({ filter: /^(node:)?fs\/promises$/ }, () => ({
      path: "fs-promises",
      namespace: "lazy-fs",
    }));
    build.onLoad({ filter: /.*/, namespace: "lazy-fs" }, () => ({
      contents: [
        'const fs = require("node:fs");',
        ...FS_PROMISES.map((name) => `export const ${name} = (...args) => fs.promises.${name}(...args);`),
        "export default new Proxy({}, { get: (_, key) => fs.promises[key] });",
      ].join("\n"),
      loader: "js",
    }));
  },
};

/**
 * For the CommonJS start: what it hands to the ES modules of the bin stays out of its bundle. The
 * ES bin itself (`./bin.js`, every command but a plain jsonl query), and the line parser with zod
 * (`./line-parser.js`, built beside it, loaded by sources' `./event-log` door when a line needs
 * parsing).
 */
export const esmBeside: Plugin = {
  name: "esm-beside",
  setup(build) {
    build.onResolve({ filter: /^\.\/bin\.js$/ }, (args) =>
      args.importer.endsWith("fast-bin.ts") ? { path: "./bin.js", external: true } : undefined,
    );
    build.onResolve({ filter: /^\.\/parse-log-line\.js$/ }, (args) =>
      args.kind === "dynamic-import" ? { path: "./line-parser.js", external: true } : undefined,
    );
  },
};
