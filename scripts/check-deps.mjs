#!/usr/bin/env node
// The layer check: the rules of the Layers section of README.md, enforced on every code file of
// every member (src/, test/, bench/, node/, scripts/ and config files) and of the root bench/ and
// faults/ directories.
//
// - Library code (outside tests and benches) imports only the members ALLOWED lists for it.
// - Tests and benches may also import TEST_ALLOWED's members, @catalyst/test-utils, and (benches
//   only) @catalyst/bench-support. The root faults/ is test code, the root bench/ bench code;
//   both may use any member.
// - A member is entered through its door only: a package name or a subpath its package.json
//   `exports` lists, or a relative path to one of those entry files. A relative path into another
//   member's files is a deep import, except a test or bench using another member's
//   `*.test-helper.ts` (shared test support, not library code).
// - @catalyst/fuse is pure (no node: built-ins, no clock) and @catalyst/client and the dashboard's
//   src/ run in browsers (no node: built-ins), outside tests.
// - Every package.json dependency on a member is an allowed edge, and (on the real tree) every
//   edge ALLOWED or TEST_ALLOWED lists is used by some import, so the map never says more than
//   the code does.
//
// Exits 1 and lists every violation. Usage: node scripts/check-deps.mjs [workspace-root]
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

/** Which members the library code of each member may import. */
export const ALLOWED = {
  "@catalyst/schema": [],
  "@catalyst/sources": ["@catalyst/schema"],
  "@catalyst/pollers": ["@catalyst/schema"],
  "@catalyst/fuse": ["@catalyst/schema"],
  "@catalyst/client": ["@catalyst/schema", "@catalyst/fuse"],
  "@catalyst/fleet-sim": ["@catalyst/schema"],
  "@catalyst/sse-server": ["@catalyst/schema"],
  "@catalyst/service-files": [],
  "@catalyst/metrics": ["@catalyst/schema"],
  "@catalyst/notify": ["@catalyst/schema"],
  "@catalyst/notify-channels": ["@catalyst/schema", "@catalyst/notify"],
  "@catalyst/dashboard": ["@catalyst/schema", "@catalyst/client"],
  "@catalyst/engine": [
    "@catalyst/schema",
    "@catalyst/sources",
    "@catalyst/pollers",
    "@catalyst/fuse",
    "@catalyst/relay",
  ],
  "@catalyst/relay": ["@catalyst/schema", "@catalyst/sources"],
  "@catalyst/test-utils": ["@catalyst/schema", "@catalyst/fleet-sim"],
  "@catalyst/bench-support": [],
  "catalyst-monitor": [
    "@catalyst/schema",
    "@catalyst/client",
    "@catalyst/sources",
    "@catalyst/pollers",
    "@catalyst/fleet-sim",
    "@catalyst/dashboard",
    "@catalyst/sse-server",
    "@catalyst/service-files",
    "@catalyst/engine",
    "@catalyst/relay",
    "@catalyst/metrics",
    "@catalyst/notify-channels",
  ],
  "catalyst-replay": [
    "@catalyst/schema",
    "@catalyst/sources",
    "@catalyst/fuse",
    "@catalyst/relay",
    "@catalyst/engine",
  ],
  "catalyst-top": [
    "@catalyst/schema",
    "@catalyst/sources",
    "@catalyst/client",
    "@catalyst/engine",
    "@catalyst/fleet-sim",
  ],
};
/** What a member's tests and benches may import besides ALLOWED (the real thing instead of a double). */
export const TEST_ALLOWED = {
  "@catalyst/dashboard": ["@catalyst/fuse"],
  "@catalyst/metrics": ["@catalyst/fuse"],
  "@catalyst/relay": ["@catalyst/fleet-sim"],
  "catalyst-monitor": ["@catalyst/fuse"],
};
/** Members that must stay pure: no node: built-ins, no clock. */
export const PURE = new Set(["@catalyst/fuse", "@catalyst/notify"]);
/** Members whose src/ also runs in browsers: no node: built-ins outside tests. */
export const BROWSER = new Set(["@catalyst/client", "@catalyst/dashboard"]);
/** Private test helpers: any member may use them, from tests and benches only. */
export const TEST_ONLY = new Set(["@catalyst/test-utils"]);
/** Private benchmark helpers: from benches only. */
export const BENCH_ONLY = new Set(["@catalyst/bench-support"]);
/** Directories at the root that are not members: their kind of code, and they may use any member. */
const ROOT_DIRS = { bench: "bench", faults: "test" };
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
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (/\.(ts|tsx|mts|js|mjs)$/.test(name)) out.push(full);
  }
  return out;
}

const IMPORT_RE =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\s*\(\s*["']([^"']+)["']\s*\)|^\s*import\s*["']([^"']+)["']/gm;
const CODE_EXT = /\.(?:[cm]?[jt]sx?)$/;

/** `lib`, `test` or `bench`, from a file's path inside its member. */
function kindOf(pathInMember) {
  if (pathInMember.startsWith(`bench${sep}`)) return "bench";
  if (pathInMember.startsWith(`test${sep}`) || /\.test(?:-helper)?\.[cm]?[jt]sx?$/.test(pathInMember))
    return "test";
  return "lib";
}

/** Every member under `root`: name, dir, package.json and its door files (absolute, without extension). */
function readMembers(root) {
  const members = [];
  for (const group of ["packages", "apps"]) {
    let names;
    try {
      names = readdirSync(join(root, group));
    } catch {
      continue;
    }
    for (const m of names) {
      const dir = join(root, group, m);
      let pkg;
      try {
        pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      } catch {
        continue;
      }
      const doors = new Set();
      const subpaths = new Set(["."]);
      for (const [key, value] of Object.entries(pkg.exports ?? { ".": "./src/index.ts" })) {
        subpaths.add(key);
        const targets = typeof value === "string" ? [value] : Object.values(value ?? {});
        for (const t of targets) if (typeof t === "string") doors.add(resolve(dir, t).replace(CODE_EXT, ""));
      }
      members.push({ name: pkg.name, dir, pkg, doors, subpaths });
    }
  }
  return members;
}

/** The member a path lies in, or undefined. */
function memberAt(members, path) {
  return members.find((m) => path === m.dir || path.startsWith(m.dir + sep));
}

/** Every import of every checked file: `{ file, where, owner, kind, spec }` (owner null for root dirs). */
function* importsOf(root, members) {
  const sources = [];
  for (const m of members)
    for (const file of walk(m.dir)) sources.push({ file, owner: m, kind: kindOf(relative(m.dir, file)) });
  for (const [dir, kind] of Object.entries(ROOT_DIRS))
    for (const file of walk(join(root, dir))) sources.push({ file, owner: null, kind });
  for (const source of sources) {
    const text = readFileSync(source.file, "utf8");
    const imports = [...text.matchAll(IMPORT_RE)].map((match) => match[1] ?? match[2] ?? match[3]);
    yield { ...source, where: relative(root, source.file), text, imports };
  }
}

/** The member a specifier names (`@catalyst/x/sub` → `@catalyst/x`), or the first path segment. */
function bareOf(spec) {
  return spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0];
}

/** Return every layer violation under `root` as human-readable strings. */
export function findViolations(root) {
  const problems = [];
  const members = readMembers(root);
  const byName = new Map(members.map((m) => [m.name, m]));
  for (const m of members) {
    const where = relative(root, m.dir);
    if (!(m.name in ALLOWED)) {
      problems.push(`${where}: unknown member ${m.name} (add it to ALLOWED in scripts/check-deps.mjs)`);
      continue;
    }
    const testing = [...ALLOWED[m.name], ...(TEST_ALLOWED[m.name] ?? []), ...TEST_ONLY, ...BENCH_ONLY];
    const declared = Object.keys({
      ...m.pkg.dependencies,
      ...m.pkg.devDependencies,
      ...m.pkg.peerDependencies,
    });
    for (const dep of declared) {
      const devOnly = dep in (m.pkg.devDependencies ?? {}) && !(dep in (m.pkg.dependencies ?? {}));
      const ok = ALLOWED[m.name].includes(dep) || (devOnly && testing.includes(dep));
      if ((dep in ALLOWED || byName.has(dep)) && !ok)
        problems.push(`${where}/package.json: ${m.name} must not depend on ${dep}`);
    }
  }

  for (const { file, where, owner, kind, text, imports } of importsOf(root, members)) {
    if (owner && !(owner.name in ALLOWED)) continue;
    const who = owner ? owner.name : `${where.split(sep)[0]}/`;
    for (const spec of imports) {
      let target;
      if (spec.startsWith(".")) {
        const path = resolve(dirname(file), spec);
        target = memberAt(members, path);
        if (!target || target === owner) continue;
        const door = target.doors.has(path.replace(CODE_EXT, ""));
        const helper = kind !== "lib" && /\.test-helper\.[cm]?[jt]sx?$/.test(path);
        if (!door && !helper) {
          problems.push(`${where}: deep import of ${relative(root, path)} (use the door of ${target.name})`);
          continue;
        }
      } else {
        const bare = bareOf(spec);
        // A member named in the map but absent from the tree (a partial checkout) has no known doors.
        target = byName.get(bare) ?? (bare in ALLOWED ? { name: bare, subpaths: null } : undefined);
        if (!target || target === owner) continue;
        const sub = spec === target.name ? "." : `.${spec.slice(target.name.length)}`;
        if (target.subpaths && !target.subpaths.has(sub)) {
          problems.push(`${where}: deep import of ${spec} (${target.name} has no such door)`);
          continue;
        }
      }
      const dep = target.name;
      if (BENCH_ONLY.has(dep)) {
        if (kind !== "bench") problems.push(`${where}: ${dep} is for benches only`);
      } else if (TEST_ONLY.has(dep)) {
        if (kind === "lib") problems.push(`${where}: ${dep} is for tests only`);
      } else if (owner) {
        const allowed =
          kind === "lib"
            ? ALLOWED[owner.name]
            : [...ALLOWED[owner.name], ...(TEST_ALLOWED[owner.name] ?? [])];
        if (!allowed.includes(dep)) problems.push(`${where}: ${who} must not import ${dep}`);
      }
    }
    if (!owner || kind !== "lib" || !relative(owner.dir, file).startsWith(`src${sep}`)) continue;
    if (PURE.has(owner.name) || BROWSER.has(owner.name)) {
      for (const spec of imports) {
        if (spec.startsWith("node:") || NODE_BUILTINS.has(spec)) {
          const why = PURE.has(owner.name) ? "is pure" : "runs in browsers";
          problems.push(`${where}: ${owner.name} ${why} and must not import ${spec}`);
        }
      }
    }
    if (PURE.has(owner.name) && /\b(Date\.now\(\)|new Date\(\))/.test(text)) {
      problems.push(`${where}: ${owner.name} is pure and must not read the clock`);
    }
  }
  return problems;
}

/** Edges ALLOWED or TEST_ALLOWED lists that no import under `root` uses (the map must not say more than the code). */
export function findUnusedEdges(root) {
  const members = readMembers(root);
  const byName = new Map(members.map((m) => [m.name, m]));
  const used = new Set();
  for (const { file, owner, kind, imports } of importsOf(root, members)) {
    if (!owner) continue;
    for (const spec of imports) {
      const target = spec.startsWith(".")
        ? memberAt(members, resolve(dirname(file), spec))
        : byName.get(bareOf(spec));
      if (target && target !== owner)
        used.add(`${owner.name} ${kind === "lib" ? "lib" : "test"} ${target.name}`);
    }
  }
  const unused = [];
  for (const [name, deps] of Object.entries(ALLOWED)) {
    if (!byName.has(name)) continue;
    for (const dep of deps)
      if (!used.has(`${name} lib ${dep}`))
        unused.push(`ALLOWED lets ${name} import ${dep}, and nothing does`);
  }
  for (const [name, deps] of Object.entries(TEST_ALLOWED)) {
    if (!byName.has(name)) continue;
    for (const dep of deps)
      if (!used.has(`${name} test ${dep}`))
        unused.push(`TEST_ALLOWED lets ${name}'s tests import ${dep}, and nothing does`);
  }
  return unused;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = process.argv[2] ?? process.cwd();
  const problems = [...findViolations(root), ...(process.argv[2] ? [] : findUnusedEdges(root))];
  if (problems.length > 0) {
    console.error(`layer check failed (${problems.length}); the rules are in README.md, Layers:`);
    for (const p of problems) console.error(`  ${p}`);
    process.exit(1);
  }
  console.log("layer check passed: every import follows the layer map of README.md and goes through a door");
}
