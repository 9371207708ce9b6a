import { defineProject } from "vitest/config";
import { sharedProject } from "../vitest.shared.ts";

// The fault suite drives the real bins as child processes; files run one at a time so the
// loaded box is not shared between several monitors under test.
const base = sharedProject("faults", { isolate: true });
export default defineProject({
  ...base,
  test: {
    ...base.test,
    include: ["*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 90_000,
    fileParallelism: false,
  },
});
