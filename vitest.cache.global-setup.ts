// Vitest global setup of the root config: removes the run's event-log index cache dir
// (vitest.shared.ts) when the run ends, unless the caller chose the dir in CATALYST_CACHE_DIR.
import { rm } from "node:fs/promises";
import { cacheDir, ownTestCacheDir } from "./vitest.shared.js";

export default function setup(): () => Promise<void> {
  return async () => {
    if (ownTestCacheDir) await rm(cacheDir, { recursive: true, force: true });
  };
}
