import { defineProject } from "vitest/config";
import { sharedProject } from "../../vitest.shared.ts";

const shared = sharedProject("catalyst-top");
export default defineProject({
  ...shared,
  test: { ...shared.test, include: ["src/**/*.test.{ts,tsx}", "test/**/*.test.ts"] },
});
