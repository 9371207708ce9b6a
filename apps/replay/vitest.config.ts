import { defineProject } from "vitest/config";
import { sharedProject } from "../../vitest.shared.ts";

const shared = sharedProject("catalyst-replay");

// The end-to-end tests spawn the real bin; it is bundled once here rather than run through tsx.
export default defineProject({
  ...shared,
  test: { ...shared.test, globalSetup: ["./src/global-setup.test-helper.ts"] },
});
