// Vitest global setup for the projects whose browser tests share one dashboard bundle
// (`sharedDashboardBundle` in ./browser.ts): a temp dir for the run, removed when the run ends.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** A temp dir that lives as long as the test run (see shared-dir.global-setup.ts). */
    catalystSharedDir: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), "catalyst-test-shared-"));
  project.provide("catalystSharedDir", dir);
  return async () => {
    await rm(dir, { recursive: true, force: true });
  };
}
