import { defineConfig, type Options } from "tsup";

// The dashboard's browser bundle: one ESM file, no CDN, served from dist/public by the monitor.
export const browserBundle: Options = {
  entry: { app: "src/main.ts" },
  outDir: "dist/public",
  format: ["esm"],
  platform: "browser",
  target: "es2022",
  dts: false,
  clean: false,
  sourcemap: true,
  publicDir: "static",
  // The browser has no node_modules: marked and DOMPurify are devDependencies so tsup bundles them;
  // bundle the workspace libraries too (only type imports and fuse's
  // pure applyDelta are used, so zod stays out of the bundle).
  noExternal: [/^@catalyst\//],
  esbuildOptions(options) {
    options.conditions = ["@catalyst/source", "browser", "import"];
  },
};

export default defineConfig(browserBundle);
