import { defineConfig } from "tsup";
import { baseTsup } from "../../tsup.config.base";

export default defineConfig(baseTsup);
