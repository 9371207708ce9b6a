import { defineConfig } from "tsup";
import { baseTsup } from "../../tsup.config.base";
import { browserBundle } from "./tsup.browser.config";

// Two builds: the page (dist/public, see tsup.browser.config.ts) and the Node side (dist/index.js:
// publicDir, the asset reader and the security headers), which must not clean dist/public.
export default defineConfig([
  browserBundle,
  { ...baseTsup, entry: { index: "node/index.ts" }, clean: false },
]);
