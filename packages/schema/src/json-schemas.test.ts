import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateJsonSchemas, renderJsonSchema } from "./index.js";

const dir = join(import.meta.dirname, "..", "schemas");

describe("published JSON Schemas", () => {
  const generated = generateJsonSchemas();

  it("are up to date with the zod schemas (run `pnpm --filter @catalyst/schema schemas`)", () => {
    for (const [name, schema] of Object.entries(generated)) {
      const onDisk = readFileSync(join(dir, `${name}.schema.json`), "utf8");
      expect(onDisk, `${name}.schema.json is stale`).toBe(renderJsonSchema(schema));
    }
  });

  it("has no stray files", () => {
    const expected = Object.keys(generated)
      .map((n) => `${n}.schema.json`)
      .sort();
    expect(readdirSync(dir).sort()).toEqual(expected);
  });

  it("describe the shapes (spot checks)", () => {
    const signal = generated["worker-signal"] as { required: string[]; properties: Record<string, unknown> };
    expect(signal.required.sort()).toEqual(["phase", "status", "ticket"]);
    expect(signal.properties).toHaveProperty("phaseTimestamps");
  });
});
