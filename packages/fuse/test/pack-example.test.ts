// The README example, run for real: build and `pnpm pack` schema, sources and fuse, install the
// tarballs into a temp project outside the workspace with npm, and run the example with plain node.
// Slow by nature (up to three builds and an npm install), so it runs in one file with long hooks.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const fuseDir = resolve(here, "..");
const root = resolve(fuseDir, "../..");
const PACKAGES = ["schema", "sources", "fuse"];

// The sources package is written in parallel: skip, saying why, until it exports scanCatalystDir.
const sourcesIndex = await readFile(join(root, "packages/sources/src/index.ts"), "utf8").catch(() => "");
const sourcesReady = /export\s*\{[^}]*\bscanCatalystDir\b[^}]*\}/.test(sourcesIndex);
const SKIP_REASON = "@catalyst/sources does not export scanCatalystDir yet (packages/sources/src/index.ts)";

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || entry.name.endsWith(".test.ts")) continue;
    newest = Math.max(newest, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
  }
  return newest;
}

// `pnpm --filter <pkg> build` writes dist/; skip a package whose dist is newer than its sources
// and package.json (three tsup builds with declarations take about a minute on a 2-core box).
async function isBuilt(name: string): Promise<boolean> {
  const dir = join(root, "packages", name);
  const built = await stat(join(dir, "dist", "index.js")).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  const pkg = (await stat(join(dir, "package.json"))).mtimeMs;
  return built > Math.max(pkg, await newestMtime(join(dir, "src")));
}

async function exampleFromReadme(): Promise<string> {
  const readme = await readFile(join(fuseDir, "README.md"), "utf8");
  const match = /<!-- example:start -->\s*```js\n([\s\S]*?)```\s*<!-- example:end -->/.exec(readme);
  if (!match?.[1]) throw new Error("README.md has no example between the example markers");
  return match[1];
}

// A small catalyst dir: one orchestrator under wt/, two workers (one done, one failed), states.
async function writeCatalystDir(dir: string): Promise<void> {
  const orch = "orch-pack-2026-04-14";
  const orchDir = join(dir, "wt", "ctl", orch);
  await mkdir(join(orchDir, "workers"), { recursive: true });
  const signal = (ticket: string, status: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      ticket,
      orchestrator: orch,
      workerName: `${orch}-${ticket}`,
      status,
      phase: status === "done" ? 6 : 3,
      startedAt: "2026-04-14T18:37:51Z",
      updatedAt: "2026-04-14T19:15:30Z",
      pr: null,
      ...extra,
    });
  await writeFile(join(orchDir, "workers", "CTL-48.json"), signal("CTL-48", "done"));
  await writeFile(
    join(orchDir, "workers", "CTL-49.json"),
    signal("CTL-49", "failed", { error: "tests failed" }),
  );
  await writeFile(
    join(orchDir, "state.json"),
    JSON.stringify({
      orchestrator: orch,
      currentWave: 1,
      waves: [{ wave: 1, tickets: ["CTL-48", "CTL-49"] }],
    }),
  );
  await writeFile(
    join(dir, "state.json"),
    JSON.stringify({
      version: "1.0.0",
      orchestrators: { [orch]: { id: orch, status: "active", attention: [] } },
    }),
  );
}

describe.skipIf(!sourcesReady)(
  sourcesReady
    ? "README example from packed tarballs"
    : `README example from packed tarballs (skipped: ${SKIP_REASON})`,
  () => {
    let work = "";

    beforeAll(async () => {
      work = await mkdtemp(join(tmpdir(), "fuse-pack-"));
      const tarballs = join(work, "tarballs");
      await mkdir(tarballs);
      const stale: string[] = [];
      for (const name of PACKAGES) if (!(await isBuilt(name))) stale.push(name);
      if (stale.length > 0) {
        const filters = stale.flatMap((name) => ["--filter", `@catalyst/${name}`]);
        await run("pnpm", [...filters, "run", "build"], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
      }
      for (const name of PACKAGES) {
        await run("pnpm", ["pack", "--pack-destination", tarballs], { cwd: join(root, "packages", name) });
      }
      const files = (await readdir(tarballs)).map((f) => join(tarballs, f));
      const project = join(work, "project");
      await mkdir(project);
      await writeFile(
        join(project, "package.json"),
        JSON.stringify({ name: "fuse-example", private: true, type: "module" }),
      );
      await run(
        "npm",
        ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", ...files],
        { cwd: project },
      );
      await writeFile(join(project, "fleet.mjs"), await exampleFromReadme());
      await writeCatalystDir(join(work, "catalyst"));
    }, 300_000);

    afterAll(async () => {
      if (work) await rm(work, { recursive: true, force: true });
    });

    it("runs with plain node and prints the fused fleet", async () => {
      const { stdout } = await run("node", ["fleet.mjs", join(work, "catalyst")], {
        cwd: join(work, "project"),
      });
      expect(stdout).toMatch(/^#\d+ CTL-48 → done$/m);
      expect(stdout).toMatch(/^#\d+ CTL-49 → failed$/m);
      expect(stdout).toContain("orch-pack-2026-04-14: 1/2 done");
      expect(stdout).toContain("needs you: orch-pack-2026-04-14/CTL-49 failed: failed: tests failed");
      expect(stdout).toMatch(/resume after #\d+ with fuse\.since\(id\)/);
    });
  },
);
