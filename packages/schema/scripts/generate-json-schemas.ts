// Writes schemas/<name>.schema.json from the zod schemas. Run by `pnpm --filter @catalyst/schema build`.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateJsonSchemas, renderJsonSchema } from "../src/json-schemas.js";

const outDir = join(dirname(fileURLToPath(import.meta.url)), "..", "schemas");
mkdirSync(outDir, { recursive: true });
for (const [name, schema] of Object.entries(generateJsonSchemas())) {
  writeFileSync(join(outDir, `${name}.schema.json`), renderJsonSchema(schema));
}
console.log(`wrote ${Object.keys(generateJsonSchemas()).length} JSON Schemas to ${outDir}`);
