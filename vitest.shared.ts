import type { UserWorkspaceConfig } from "vitest/config";

// Tests read sibling packages from source through this export condition (see STYLE.md),
// so no build is needed before `vitest run`.
const conditions = ["@catalyst/source", "module", "node", "development|production"];

/** Per-package vitest settings shared by every workspace member. */
export function sharedProject(name: string): UserWorkspaceConfig {
  return {
    resolve: { conditions },
    ssr: { resolve: { conditions } },
    test: {
      name,
      include: ["src/**/*.test.ts", "test/**/*.test.ts"],
      environment: "node",
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  };
}
