import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { NOTES_MARKER, writeSection } from "./bench.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function doc(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "bench-doc-"));
  dirs.push(dir);
  const file = join(dir, "BENCHMARKS.md");
  await writeFile(file, text);
  return file;
}

describe("writeSection", () => {
  it("replaces only its own section, up to the next heading", async () => {
    const file = await doc("# Title\n\n## A\n\nold a\n\n## B: x\n\nold b\n\n## C\n\nc\n");
    await writeSection("B: x", "new b\n", file);
    expect(await readFile(file, "utf8")).toBe("# Title\n\n## A\n\nold a\n\n## B: x\n\nnew b\n\n## C\n\nc\n");
  });

  it("matches the whole heading line, and appends a section that is not there", async () => {
    const file = await doc("## B: x and more\n\nkeep\n");
    await writeSection("B: x", "new", file);
    expect(await readFile(file, "utf8")).toBe("## B: x and more\n\nkeep\n\n## B: x\n\nnew\n");
  });

  it("keeps the hand-written notes after the marker", async () => {
    const file = await doc(`## A\n\nold table\n\n${NOTES_MARKER}\nwhy it is so\n\n## B\n\nb\n`);
    await writeSection("A", "new table", file);
    expect(await readFile(file, "utf8")).toBe(
      `## A\n\nnew table\n\n${NOTES_MARKER}\nwhy it is so\n\n## B\n\nb\n`,
    );
  });
});
