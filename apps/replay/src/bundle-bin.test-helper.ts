import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "tsup";

const appRoot = join(dirname(fileURLToPath(import.meta.url)), "..");

/** As in tsup.config.ts: the bin loads `@catalyst/relay` (only for --nats) from `./relay.js` beside it. */
type Plugin = NonNullable<NonNullable<Parameters<typeof build>[0]>["esbuildPlugins"]>[number];
const relayBeside: Plugin = {
  name: "relay-beside",
  setup(b) {
    b.onResolve({ filter: /^@catalyst\/relay$/ }, () => ({ path: "./relay.js", external: true }));
  },
};

/**
 * Bundle the real bin (with the workspace packages read from source, and zod inlined)
 * into one ESM file under a fresh temp dir (with `relay.js` beside it for --nats and
 * `index-worker.js` for the log index's worker threads), and return its path. Tests and the bench run it
 * with plain `node`, which starts far faster than `node --import tsx`.
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
    entry: { "catalyst-replay": join(appRoot, "src/bin.ts") },
    esbuildPlugins: [relayBeside],
  });
  await build({ ...common, entry: { relay: join(appRoot, "../../packages/relay/src/index.ts") } });
  // The log index's worker beside the bin, as the real build emits it (sources' index-pool).
  await build({
    ...common,
    entry: { "index-worker": join(appRoot, "../../packages/sources/src/index-worker.ts") },
  });
  return join(outDir, "catalyst-replay.js");
}
