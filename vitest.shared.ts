import { tmpdir } from "node:os";
import { join } from "node:path";
import type { UserWorkspaceConfig } from "vitest/config";

// Every bin and reader a test starts keeps its event-log index here (children get it through
// their env), so test runs never write into the user's ~/.cache. A dir this file names (not one
// given in CATALYST_CACHE_DIR) is removed when the run ends (vitest.cache.global-setup.ts).
export const ownTestCacheDir = process.env.CATALYST_CACHE_DIR === undefined;
export const cacheDir =
  process.env.CATALYST_CACHE_DIR ?? join(tmpdir(), `catalyst-test-cache-${process.pid}`);

// Tests read sibling packages from source through this export condition (see STYLE.md),
// so no build is needed before `vitest run`.
const conditions = ["@catalyst/source", "module", "node", "development|production"];

/**
 * Per-package vitest settings shared by every workspace member.
 *
 * Files of a project share one module registry (`isolate: false`): on a 2-core box vitest runs one
 * worker, and re-importing every package for each of ~180 files cost about a third of the suite's
 * time. A project whose tests replace a module (`vi.mock`) passes `{ isolate: true }`.
 */
export function sharedProject(name: string, options: { isolate?: boolean } = {}): UserWorkspaceConfig {
  return {
    resolve: { conditions },
    ssr: { resolve: { conditions } },
    test: {
      name,
      include: ["src/**/*.test.ts", "test/**/*.test.ts"],
      environment: "node",
      isolate: options.isolate ?? false,
      env: { CATALYST_CACHE_DIR: cacheDir },
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  };
}
