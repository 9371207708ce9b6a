import { defineConfig } from "tsup";

// The dashboard's browser bundle: one ESM file, no CDN, served from dist/public by the monitor.
export default defineConfig({
  entry: { app: "src/dashboard/client/main.ts" },
  outDir: "dist/public",
  format: ["esm"],
  platform: "browser",
  target: "es2022",
  dts: false,
  clean: false,
  sourcemap: true,
  publicDir: "src/dashboard/static",
  // The browser has no node_modules: bundle the workspace libraries (only type imports and fuse's
  // pure applyDelta are used, so zod stays out of the bundle).
  noExternal: [/^@catalyst\//],
  esbuildOptions(options) {
    options.conditions = ["@catalyst/source", "browser", "import"];
  },
});
