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
  esbuildOptions(options) {
    options.conditions = ["@catalyst/source", "browser", "import"];
  },
});
