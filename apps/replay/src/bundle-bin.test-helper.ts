import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "tsup";

const appRoot = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Bundle the real bin (with the workspace packages read from source, and zod inlined)
 * into one ESM file under a fresh temp dir, and return its path. Tests and the bench run it
 * with plain `node`, which starts far faster than `node --import tsx`.
 */
export async function bundleBin(options: { external?: string[] } = {}): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), "catalyst-replay-bin-"));
  await build({
    config: false,
    entry: { "catalyst-replay": join(appRoot, "src/bin.ts") },
    outDir,
    format: ["esm"],
    platform: "node",
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
    esbuildOptions(options) {
      options.conditions = ["@catalyst/source", "module", "import", "node"];
    },
  });
  return join(outDir, "catalyst-replay.js");
}
