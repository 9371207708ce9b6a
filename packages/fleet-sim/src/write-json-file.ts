import { rename, writeFile } from "node:fs/promises";

/** Render a value the way `jq` prints it: 2-space indent and a trailing newline (FORMATS §0). */
export function renderJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * Write JSON through `<file>.tmp` then rename it over `<file>`, as every real writer does
 * (FORMATS §1.5), so a reader sees the old document or the new one, never half of one.
 */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.tmp`;
  await writeFile(tmp, renderJson(value), "utf8");
  await rename(tmp, file);
}
