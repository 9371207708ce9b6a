import { defineConfig } from "tsup";
import { baseTsup } from "../../tsup.config.base";

// Two doors: the schemas (zod) and `./constants`, the zod-free lists and types for browser code.
export default defineConfig({ ...baseTsup, entry: ["src/index.ts", "src/constants.ts"] });
