import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import * as constants from "./constants.js";
import * as schema from "./index.js";

const entry = fileURLToPath(new URL("./constants.ts", import.meta.url));

describe("@catalyst/schema/constants", () => {
  it("bundles without zod or any other dependency", async () => {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: "esm",
      platform: "browser",
      metafile: true,
      logLevel: "silent",
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((p) => p.includes("node_modules"))).toEqual([]);
    expect(inputs.every((p) => p.endsWith("constants.ts"))).toBe(true);
    expect(result.outputFiles[0]?.text).not.toMatch(/zod/i);
  });

  it("holds the same values the main entry exports", () => {
    const main = new Map(Object.entries(schema));
    for (const [name, value] of Object.entries(constants)) expect(main.get(name), name).toBe(value);
    expect(constants.SSE_EVENT_NAMES).toContain("snapshot");
    expect(constants.phaseOfStatus("implementing")).toBe(3);
  });
});
