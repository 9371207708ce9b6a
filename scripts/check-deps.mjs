#!/usr/bin/env node
// Enforces the layer rule: schema <- sources, pollers, fuse <- apps. Exits 1 and lists every
// violation. Usage: node scripts/check-deps.mjs [workspace-root]
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

/** Which workspace packages each member may import. */
export const ALLOWED = {
  "@catalyst/schema": [],
  "@catalyst/sources": ["@catalyst/schema"],
  "@catalyst/pollers": ["@catalyst/schema"],
  "@catalyst/fuse": ["@catalyst/schema"],
  "@catalyst/client": ["@catalyst/schema", "@catalyst/fuse"],
  "@catalyst/fleet-sim": ["@catalyst/schema"],
  "@catalyst/sse-server": ["@catalyst/schema"],
  "@catalyst/service-files": [],
  "@catalyst/metrics": ["@catalyst/schema", "@catalyst/fuse"],
  "@catalyst/dashboard": ["@catalyst/schema", "@catalyst/client", "@catalyst/fuse"],
  "@catalyst/engine": [
    "@catalyst/schema",
    "@catalyst/sources",
    "@catalyst/pollers",
    "@catalyst/fuse",
    "@catalyst/relay",
  ],
  "@catalyst/test-utils": ["@catalyst/schema", "@catalyst/fleet-sim"],
  "@catalyst/relay": ["@catalyst/schema", "@catalyst/sources", "@catalyst/fleet-sim"],
  "catalyst-monitor": [
    "@catalyst/schema",
    "@catalyst/sources",
    "@catalyst/pollers",
    "@catalyst/fuse",
    "@catalyst/client",
    "@catalyst/fleet-sim",
    "@catalyst/dashboard",
    "@catalyst/sse-server",
    "@catalyst/service-files",
    "@catalyst/engine",
    "@catalyst/relay",
    "@catalyst/metrics",
  ],
  "catalyst-replay": ["@catalyst/schema", "@catalyst/sources", "@catalyst/fuse", "@catalyst/relay"],
  "catalyst-top": [
    "@catalyst/schema",
    "@catalyst/sources",
    "@catalyst/client",
    "@catalyst/engine",
    "@catalyst/fleet-sim",
  ],
};
/** Members that must stay pure: no node: built-ins, no I/O modules. */
export const PURE = new Set(["@catalyst/fuse"]);
/** Members that also run in browsers: no node: built-ins outside tests. */
export const BROWSER = new Set(["@catalyst/client", "@catalyst/dashboard"]);
/** Private test helpers: any member may use them, from test files only. */
export const TEST_ONLY = new Set(["@catalyst/test-utils"]);
const NODE_BUILTINS = new Set([
  "fs",
  "fs/promises",
  "path",
  "os",
  "child_process",
  "http",
  "https",
  "net",
  "url",
  "crypto",
  "stream",
  "events",
  "util",
  "worker_threads",
  "process",
  "timers",
  "readline",
  "zlib",
  "dns",
]);

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist") continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (/\.(ts|tsx|mts|js|mjs)$/.test(name)) out.push(full);
  }
  return out;
}

const IMPORT_RE =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\s*\(\s*["']([^"']+)["']\s*\)|^\s*import\s*["']([^"']+)["']/gm;

/** Return every layer violation under `root` as human-readable strings. */
export function findViolations(root) {
  const problems = [];
  for (const group of ["packages", "apps"]) {
    let members;
    try {
      members = readdirSync(join(root, group));
    } catch {
      continue;
    }
    for (const m of members) {
      const dir = join(root, group, m);
      let pkg;
      try {
        pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      } catch {
        continue;
      }
      const allowed = ALLOWED[pkg.name];
      if (!allowed) {
        problems.push(
          `${relative(root, dir)}: unknown member ${pkg.name} (add it to ALLOWED in scripts/check-deps.mjs)`,
        );
        continue;
      }
      const declared = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies, ...pkg.peerDependencies });
      for (const dep of declared) {
        if (TEST_ONLY.has(dep) && dep in (pkg.devDependencies ?? {})) continue;
        if (dep in ALLOWED && !allowed.includes(dep)) {
          problems.push(`${relative(root, dir)}/package.json: ${pkg.name} must not depend on ${dep}`);
        }
      }
      let srcFiles = [];
      try {
        srcFiles = walk(join(dir, "src"));
      } catch {}
      for (const file of srcFiles) {
        const isTest = /\.test\.[cm]?[jt]sx?$/.test(file);
        const isTestSupport = isTest || /\.test-helper\.[cm]?[jt]sx?$/.test(file);
        const text = readFileSync(file, "utf8");
        for (const match of text.matchAll(IMPORT_RE)) {
          const spec = match[1] ?? match[2] ?? match[3];
          const where = `${relative(root, file)}`;
          const bare = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0];
          if (TEST_ONLY.has(bare)) {
            if (!isTestSupport) problems.push(`${where}: ${bare} is for tests only`);
            continue;
          }
          if (bare in ALLOWED && bare !== pkg.name && !allowed.includes(bare)) {
            problems.push(`${where}: ${pkg.name} must not import ${bare}`);
          }
          if ((PURE.has(pkg.name) || BROWSER.has(pkg.name)) && !isTest) {
            if (spec.startsWith("node:") || NODE_BUILTINS.has(spec)) {
              const why = PURE.has(pkg.name) ? "is pure" : "runs in browsers";
              problems.push(`${where}: ${pkg.name} ${why} and must not import ${spec}`);
            }
          }
        }
        if (PURE.has(pkg.name) && !isTest && /\b(Date\.now\(\)|new Date\(\))/.test(text)) {
          problems.push(`${relative(root, file)}: ${pkg.name} is pure and must not read the clock`);
        }
      }
    }
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = process.argv[2] ?? process.cwd();
  const problems = findViolations(root);
  if (problems.length > 0) {
    console.error(`dependency check failed (${problems.length}):`);
    for (const p of problems) console.error(`  ${p}`);
    process.exit(1);
  }
  console.log("dependency check passed: schema <- sources, pollers, fuse <- client <- apps");
}
