// Vitest global setup for the projects whose browser tests share one dashboard bundle
// (`sharedDashboardBundle` in ./browser.ts): a temp dir for the run, removed when the run ends.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { SHARED_DIR_KEY } from "./shared-dir.js";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), "catalyst-test-shared-"));
  project.provide(SHARED_DIR_KEY, dir);
  return async () => {
    await rm(dir, { recursive: true, force: true });
  };
}
