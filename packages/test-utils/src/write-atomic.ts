import { rename, writeFile } from "node:fs/promises";

/** Writes like Catalyst does: a temp file beside the target, then a rename over it. */
export async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}
