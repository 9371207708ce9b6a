import { defineConfig } from "tsup";
import { baseTsup } from "../../tsup.config.base";

// Runs in browsers and Node: neutral platform, no node: imports.
export default defineConfig({ ...baseTsup, platform: "neutral" });
