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

/**
 * Options for an app's entries: the workspace libraries are bundled in from source (the
 * `@catalyst/source` condition), so the packed app installs with only public npm dependencies.
 */
export const bundleWorkspaceTsup: Options = {
  noExternal: [/^@catalyst\//],
  esbuildOptions(options) {
    options.conditions = ["@catalyst/source", "import", "node"];
  },
};
