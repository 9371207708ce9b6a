import { defineConfig } from "tsup";
import { baseTsup } from "../../tsup.config.base";

export default defineConfig([
  baseTsup,
  { ...baseTsup, entry: ["src/bin.ts"], dts: false, clean: false, banner: { js: "#!/usr/bin/env node" } },
]);
