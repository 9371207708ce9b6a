import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { TestProject } from "vitest/node";
import { bundleBin } from "./bundle-bin.test-helper.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Path of the bundled `catalyst-replay` bin the end-to-end tests spawn. */
    replayBin: string;
    /** A temp cache dir for the log index (CATALYST_CACHE_DIR of every spawned bin). */
    replayCacheDir: string;
  }
}

/** Vitest global setup: bundle the bin once for every test file, remove it afterwards. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const bin = await bundleBin();
  project.provide("replayBin", bin);
  const cacheDir = await mkdtemp(join(tmpdir(), "catalyst-replay-cache-"));
  project.provide("replayCacheDir", cacheDir);
  return async () => {
    await rm(cacheDir, { recursive: true, force: true });
    await rm(dirname(bin), { recursive: true, force: true });
  };
}
