import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    globalSetup: ["./vitest.cache.global-setup.ts"],
    projects: ["packages/*", "apps/*", "scripts", "faults"],
  },
});
