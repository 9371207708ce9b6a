import { rm } from "node:fs/promises";
import { dirname } from "node:path";
import type { TestProject } from "vitest/node";
import { bundleBin } from "./bundle-bin.test-helper.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Path of the bundled `catalyst-replay` bin the end-to-end tests spawn. */
    replayBin: string;
  }
}

/** Vitest global setup: bundle the bin once for every test file, remove it afterwards. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const bin = await bundleBin();
  project.provide("replayBin", bin);
  return async () => {
    await rm(dirname(bin), { recursive: true, force: true });
  };
}
