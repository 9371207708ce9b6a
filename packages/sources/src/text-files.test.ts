import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { open, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileRejectedError } from "./errors.js";
import { makeTree, removeTree } from "./test-tree.test-helper.js";
import { readRegularFile as readAsync, readRegularFileSync } from "./text-files.js";

// Issue 17: only regular files are read, never blocking on open, and never past the size cap.

let root = "";
beforeAll(async () => {
  root = await makeTree({ "ok.json": '{"a":1}' });
});
afterAll(() => removeTree(root));

// The watcher's first scan reads synchronously (issue 26): the same checks, the same errors.
const readers: Array<[string, (path: string, maxBytes?: number) => Promise<string>]> = [
  ["readRegularFile", readAsync],
  [
    "readRegularFileSync",
    (path, maxBytes) => new Promise((resolve) => resolve(readRegularFileSync(path, maxBytes))),
  ],
];

describe.each(readers)("%s", (name, readRegularFile) => {
  it("reads a regular file", async () => {
    expect(await readRegularFile(join(root, "ok.json"))).toBe('{"a":1}');
  });

  it("refuses a FIFO without blocking on the open", async () => {
    const fifo = join(root, `x-${name}.json`);
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    await expect(readRegularFile(fifo)).rejects.toThrow(
      new FileRejectedError(fifo, "not a regular file (a FIFO)"),
    );
  });

  it("refuses a symlink to /dev/zero and a sparse file over the cap, before reading", async () => {
    const zero = join(root, `zero-${name}.json`);
    await symlink("/dev/zero", zero);
    await expect(readRegularFile(zero)).rejects.toThrow(/a character device/);
    const sparse = join(root, `sparse-${name}.json`);
    const handle = await open(sparse, "w");
    await handle.truncate(1_900_000_000);
    await handle.close();
    await expect(readRegularFile(sparse)).rejects.toThrow(/too large \(1900000000 bytes, cap 4194304\)/);
  });

  it("honours a smaller cap, and passes ENOENT and EISDIR through", async () => {
    await writeFile(join(root, "big.json"), "x".repeat(2000));
    await expect(readRegularFile(join(root, "big.json"), 1000)).rejects.toBeInstanceOf(FileRejectedError);
    await expect(readRegularFile(join(root, "gone.json"))).rejects.toMatchObject({ code: "ENOENT" });
    await expect(readRegularFile(root)).rejects.toMatchObject({ code: "EISDIR" });
  });

  // The buffer is sized to what stat says (issue 26); a file longer than that (one that grew
  // after the stat, or a /proc file, whose stat size is 0) is still read whole, up to the cap.
  it("reads a file longer than its stat size whole, and still stops at the cap", async () => {
    const proc = "/proc/self/status";
    expect(statSync(proc).size).toBe(0);
    const text = await readRegularFile(proc);
    expect(text).toMatch(/^Name:/);
    expect(text).toMatch(/VmRSS:/);
    await expect(readRegularFile(proc, 100)).rejects.toThrow(/over the 100-byte cap/);
  });

  // The synchronous reads share one buffer: a short file read after a long one is itself alone.
  it("reads a short file after a long one as itself, and one larger than 64 KiB whole", async () => {
    await writeFile(join(root, "long.json"), "L".repeat(5000));
    await writeFile(join(root, "short.json"), "S");
    await writeFile(join(root, "huge.json"), "H".repeat(100_000));
    expect(await readRegularFile(join(root, "long.json"))).toBe("L".repeat(5000));
    expect(await readRegularFile(join(root, "short.json"))).toBe("S");
    expect(await readRegularFile(join(root, "huge.json"))).toBe("H".repeat(100_000));
    expect(await readRegularFile(join(root, "short.json"))).toBe("S");
  });
});
