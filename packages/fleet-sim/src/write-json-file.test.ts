import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeJsonAtomic } from "./write-json-file.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "demo-json-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("writeJsonAtomic", () => {
  it("writes 2-space JSON with a trailing newline, as jq does, and leaves no temp file", async () => {
    const file = join(dir, "CTL-48.json");
    await writeJsonAtomic(file, { ticket: "CTL-48", pr: null, unitTests: { exists: true, count: 2 } });
    expect(await readFile(file, "utf8")).toBe(
      '{\n  "ticket": "CTL-48",\n  "pr": null,\n  "unitTests": {\n    "exists": true,\n    "count": 2\n  }\n}\n',
    );
    await writeJsonAtomic(file, { ticket: "CTL-48", status: "done" });
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual({ ticket: "CTL-48", status: "done" });
    expect(await readdir(dir)).toEqual(["CTL-48.json"]);
  });
});
