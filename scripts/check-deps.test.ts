import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
// @ts-expect-error plain .mjs script without types
import { findViolations } from "./check-deps.mjs";

const repoRoot = join(import.meta.dirname, "..");
const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

function workspace(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "layers-"));
  made.push(root);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(root, rel, ".."), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

const pkg = (name: string, deps: Record<string, string> = {}) => JSON.stringify({ name, dependencies: deps });

describe("layer check", () => {
  it("passes on this repository", () => {
    expect(findViolations(repoRoot)).toEqual([]);
  });

  it("fails when fuse imports sources", () => {
    const root = workspace({
      "packages/fuse/package.json": pkg("@catalyst/fuse"),
      "packages/fuse/src/index.ts": 'import { readEvents } from "@catalyst/sources";\n',
    });
    expect(findViolations(root)).toEqual([
      "packages/fuse/src/index.ts: @catalyst/fuse must not import @catalyst/sources",
    ]);
  });

  it("fails when fuse imports a node: module or reads the clock", () => {
    const root = workspace({
      "packages/fuse/package.json": pkg("@catalyst/fuse"),
      "packages/fuse/src/a.ts":
        'import { readFile } from "node:fs/promises";\nexport const t = Date.now();\n',
      "packages/fuse/src/a.test.ts": 'import { readFile } from "node:fs/promises";\n',
    });
    expect(findViolations(root)).toEqual([
      "packages/fuse/src/a.ts: @catalyst/fuse is pure and must not import node:fs/promises",
      "packages/fuse/src/a.ts: @catalyst/fuse is pure and must not read the clock",
    ]);
  });

  it("fails when the browser client imports a node: module, and not in its tests", () => {
    const root = workspace({
      "packages/client/package.json": pkg("@catalyst/client"),
      "packages/client/src/a.ts": 'import { request } from "node:http";\nexport const t = Date.now();\n',
      "packages/client/src/a.test.ts": 'import { request } from "node:http";\n',
    });
    expect(findViolations(root)).toEqual([
      "packages/client/src/a.ts: @catalyst/client runs in browsers and must not import node:http",
    ]);
  });

  it("lets any member use the test utilities from tests only", () => {
    const root = workspace({
      "packages/sources/package.json": JSON.stringify({
        name: "@catalyst/sources",
        devDependencies: { "@catalyst/test-utils": "workspace:*" },
      }),
      "packages/sources/src/a.test.ts": 'import { writeAtomic } from "@catalyst/test-utils";\n',
      "packages/sources/src/b.test-helper.ts": 'import { writeAtomic } from "@catalyst/test-utils";\n',
      "packages/sources/src/c.ts": 'import { writeAtomic } from "@catalyst/test-utils";\n',
    });
    expect(findViolations(root)).toEqual([
      "packages/sources/src/c.ts: @catalyst/test-utils is for tests only",
    ]);
  });

  it("fails when a library depends on an app or a lower layer on a higher one", () => {
    const root = workspace({
      "packages/schema/package.json": pkg("@catalyst/schema", { "@catalyst/fuse": "workspace:*" }),
      "packages/schema/src/index.ts": 'export * from "catalyst-monitor";\n',
    });
    expect(findViolations(root)).toEqual([
      "packages/schema/package.json: @catalyst/schema must not depend on @catalyst/fuse",
      "packages/schema/src/index.ts: @catalyst/schema must not import catalyst-monitor",
    ]);
  });

  it("exits 1 from the command line with the list", () => {
    const root = workspace({
      "packages/pollers/package.json": pkg("@catalyst/pollers"),
      "packages/pollers/src/index.ts": 'const x = await import("@catalyst/fuse");\n',
    });
    const res = spawnSync(process.execPath, [join(repoRoot, "scripts", "check-deps.mjs"), root], {
      encoding: "utf8",
    });
    expect(res.status).toBe(1);
    expect(res.stderr).toContain("@catalyst/pollers must not import @catalyst/fuse");
  });
});
