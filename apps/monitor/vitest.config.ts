import { defineProject } from "vitest/config";
import { sharedProject } from "../../vitest.shared.ts";

const shared = sharedProject("catalyst-monitor");

// The browser tests share one dashboard bundle, built under a dir that lives as long as the run.
export default defineProject({
  ...shared,
  test: { ...shared.test, globalSetup: ["../../packages/test-utils/src/shared-dir.global-setup.ts"] },
});
