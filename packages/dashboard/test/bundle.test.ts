// The dashboard bundle stays light: built as this package's tsup.config.ts builds it, it must contain
// no zod (the schemas come in only as types, values from `@catalyst/schema/constants`).
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

describe("dashboard bundle", () => {
  it("contains no zod and no node: module", async () => {
    const result = await build({
      entryPoints: [fileURLToPath(new URL("../src/main.ts", import.meta.url))],
      bundle: true,
      write: false,
      format: "esm",
      platform: "browser",
      target: "es2022",
      conditions: ["@catalyst/source", "browser", "import"],
      metafile: true,
      logLevel: "silent",
    });
    // Modules that put bytes into the output (esbuild also lists the ones it tree-shook away).
    const output = Object.values(result.metafile.outputs)[0];
    const inputs = Object.entries(output?.inputs ?? {})
      .filter(([, use]) => use.bytesInOutput > 0)
      .map(([path]) => path);
    expect(inputs.length).toBeGreaterThan(10);
    expect(inputs.filter((p) => /node_modules\/(\.pnpm\/)?zod/.test(p))).toEqual([]);
    expect(inputs.filter((p) => p.startsWith("node:"))).toEqual([]);
    expect(inputs.some((p) => p.includes("packages/client/src/connection.ts"))).toBe(true);
    expect(result.outputFiles[0]?.text).not.toMatch(/\bZodError\b|\bz\.object\b/);
  });
});
