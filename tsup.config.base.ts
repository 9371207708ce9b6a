import type { Options } from "tsup";

/** Shared tsup options: ESM, declarations, one entry. Apps add a `bin` entry with a shebang. */
export const baseTsup: Options = {
  entry: ["src/index.ts"],
  format: ["esm"],
  dts: true,
  clean: true,
  sourcemap: true,
  target: "node20",
  platform: "node",
};
