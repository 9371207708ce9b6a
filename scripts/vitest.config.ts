import { defineProject } from "vitest/config";
import { sharedProject } from "../vitest.shared.ts";

const base = sharedProject("tooling");
export default defineProject({ ...base, test: { ...base.test, include: ["*.test.ts"] } });
