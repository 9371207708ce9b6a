import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
// @ts-expect-error plain .mjs script without types
import { findUnusedEdges, findViolations } from "./check-deps.mjs";

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
  it("passes on this repository, and every edge of the map is used", () => {
    expect(findViolations(repoRoot)).toEqual([]);
    expect(findUnusedEdges(repoRoot)).toEqual([]);
  });

  it("checks benches, tests and node/ code of members and the root bench/ and faults/", () => {
    const root = workspace({
      "packages/fuse/package.json": pkg("@catalyst/fuse"),
      "packages/fuse/bench/a.ts": 'import { readEvents } from "@catalyst/sources";\n',
      "packages/fuse/test/b.test.ts": 'import { relay } from "@catalyst/relay";\n',
      "packages/fuse/node/c.ts": 'import { engine } from "@catalyst/engine";\n',
      "packages/sources/package.json": pkg("@catalyst/sources"),
      "packages/sources/src/index.ts": "export const x = 1;\n",
      "packages/sources/src/tail.ts": "export const y = 1;\n",
      "bench/p9.ts":
        'import { x } from "../packages/sources/src/index.ts";\nimport { y } from "../packages/sources/src/tail.ts";\n',
      "faults/f.test.ts": 'import { y } from "../packages/sources/src/tail.ts";\n',
    });
    expect(findViolations(root)).toEqual([
      "packages/fuse/bench/a.ts: @catalyst/fuse must not import @catalyst/sources",
      "packages/fuse/node/c.ts: @catalyst/fuse must not import @catalyst/engine",
      "packages/fuse/test/b.test.ts: @catalyst/fuse must not import @catalyst/relay",
      "bench/p9.ts: deep import of packages/sources/src/tail.ts (use the door of @catalyst/sources)",
      "faults/f.test.ts: deep import of packages/sources/src/tail.ts (use the door of @catalyst/sources)",
    ]);
  });

  it("lets a member in only through its door: a listed subpath or an entry file", () => {
    const root = workspace({
      "packages/sources/package.json": JSON.stringify({
        name: "@catalyst/sources",
        exports: { ".": { "@catalyst/source": "./src/index.ts" }, "./event-log": "./src/event-log.ts" },
      }),
      "packages/relay/package.json": pkg("@catalyst/relay"),
      "packages/relay/src/a.ts":
        'import { a } from "@catalyst/sources";\nimport { b } from "@catalyst/sources/event-log";\nimport { c } from "@catalyst/sources/src/tail.js";\nimport { d } from "../../sources/src/tail.js";\nimport { e } from "../../sources/src/index.js";\n',
      "packages/relay/src/b.test.ts": 'import { h } from "../../sources/src/hosts.test-helper.js";\n',
      "packages/relay/src/c.ts": 'import { h } from "../../sources/src/hosts.test-helper.js";\n',
    });
    expect(findViolations(root)).toEqual([
      "packages/relay/src/a.ts: deep import of @catalyst/sources/src/tail.js (@catalyst/sources has no such door)",
      "packages/relay/src/a.ts: deep import of packages/sources/src/tail.js (use the door of @catalyst/sources)",
      "packages/relay/src/c.ts: deep import of packages/sources/src/hosts.test-helper.js (use the door of @catalyst/sources)",
    ]);
  });

  it("keeps the bench helpers to benches and the test helpers to tests and benches", () => {
    const root = workspace({
      "packages/bench-support/package.json": pkg("@catalyst/bench-support"),
      "packages/sources/package.json": pkg("@catalyst/sources"),
      "packages/sources/bench/a.ts":
        'import { spawnAndWait } from "@catalyst/bench-support";\nimport { writeAtomic } from "@catalyst/test-utils";\n',
      "packages/sources/src/b.test.ts": 'import { spawnAndWait } from "@catalyst/bench-support";\n',
      "bench/p9.ts": 'import { spawnAndWait } from "../packages/bench-support/src/index.ts";\n',
      "faults/f.test.ts": 'import { spawnAndWait } from "@catalyst/bench-support";\n',
    });
    expect(findViolations(root)).toEqual([
      "packages/sources/src/b.test.ts: @catalyst/bench-support is for benches only",
      "faults/f.test.ts: @catalyst/bench-support is for benches only",
    ]);
  });

  it("reports an edge of the map that no import uses", () => {
    const root = workspace({
      "packages/dashboard/package.json": pkg("@catalyst/dashboard"),
      "packages/dashboard/src/a.ts": 'import { x } from "@catalyst/schema";\n',
      "packages/dashboard/test/a.test.ts": 'import { x } from "@catalyst/fuse";\n',
      "packages/schema/package.json": pkg("@catalyst/schema"),
      "packages/client/package.json": pkg("@catalyst/client"),
      "packages/fuse/package.json": pkg("@catalyst/fuse"),
    });
    expect(findUnusedEdges(root)).toEqual([
      "ALLOWED lets @catalyst/fuse import @catalyst/schema, and nothing does",
      "ALLOWED lets @catalyst/client import @catalyst/schema, and nothing does",
      "ALLOWED lets @catalyst/client import @catalyst/fuse, and nothing does",
      "ALLOWED lets @catalyst/dashboard import @catalyst/client, and nothing does",
    ]);
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
