import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "tsup";
import { esmBeside, lazyFsPromises, relayBeside } from "../bundle-plugins.js";

const appRoot = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Bundle the real bin (with the workspace packages read from source, and zod inlined) under a
 * fresh temp dir, as the shipped one is laid out: its CommonJS start `catalyst-replay.cjs`
 * (src/fast-bin.ts), the ES module bin `bin.js` it imports for anything but a plain jsonl query
 * (one file here), `line-parser.js`, `relay.js` for --nats and `index-worker.js` for the log
 * index's worker threads. Returns the start's path. Tests and the bench run it with plain `node`,
 * which starts far faster than `node --import tsx`.
 */
export async function bundleBin(options: { external?: string[] } = {}): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), "catalyst-replay-bin-"));
  const common = {
    config: false,
    outDir,
    format: ["esm" as const],
    platform: "node" as const,
    target: "node20",
    dts: false,
    sourcemap: false,
    clean: false,
    silent: true,
    splitting: false,
    noExternal: [/.*/],
    external: options.external ?? [],
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
    esbuildOptions(o: { conditions?: string[] }) {
      o.conditions = ["@catalyst/source", "module", "import", "node"];
    },
  };
  await build({
    ...common,
    entry: { bin: join(appRoot, "src/bin.ts") },
    esbuildPlugins: [relayBeside],
  });
  await build({
    ...common,
    entry: { "line-parser": join(appRoot, "../../packages/sources/src/parse-log-line.ts") },
  });
  await build({
    ...common,
    entry: { "catalyst-replay": join(appRoot, "src/fast-bin.ts") },
    format: ["cjs" as const],
    outExtension: () => ({ js: ".cjs" }),
    shims: true,
    banner: {},
    removeNodeProtocol: false,
    esbuildPlugins: [lazyFsPromises, esmBeside, relayBeside],
  });
  await build({ ...common, entry: { relay: join(appRoot, "../../packages/relay/src/index.ts") } });
  // The log index's worker beside the bin, as the real build emits it (sources' index-pool).
  await build({
    ...common,
    entry: { "index-worker": join(appRoot, "../../packages/sources/src/index-worker.ts") },
  });
  return join(outDir, "catalyst-replay.cjs");
}
