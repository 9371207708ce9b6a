import { defineConfig } from "tsup";
import { baseTsup } from "../../tsup.config.base";

// Two doors: the package (src/index.ts, with the NATS client) and the connection flags alone
// (src/command-line.ts), which a bin can load to parse its arguments and print --help without it.
export default defineConfig({ ...baseTsup, entry: ["src/index.ts", "src/command-line.ts"] });
