#!/usr/bin/env node
// `pnpm typecheck`: every tsconfig that the members' `typecheck` scripts name (`tsc -p <file>`), plus
// faults/ and bench/, checked with the same compiler options, in as few tsc programs as possible.
//
// Each member's own `tsc -p tsconfig.json` reads its sibling packages from source, so checking the
// 18 members one by one checked fuse, schema and sources about 15 times each (about four minutes of
// CPU on a 2-core box). Here the tsconfigs whose settings are the same (same `extends`, same
// `compilerOptions`, nothing path-like in them) are checked as ONE program whose `include` is the
// union of theirs: each file is checked once, under the options it had. A tsconfig with its own
// options (top's JSX and DOM, the dashboard page's DOM) is checked on its own, as before. A member
// whose `typecheck` script is anything but `tsc -p …` runs that script as it is.
//
// Usage: node scripts/typecheck.mjs [--list]   (--list prints the programs and exits)
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
/** Not workspace members (turbo does not see them), checked here too. */
const EXTRA = ["faults/tsconfig.json", "bench/tsconfig.json"];
/** compilerOptions whose value is a path relative to its tsconfig: such a config is never merged. */
const PATH_OPTIONS = ["rootDir", "rootDirs", "baseUrl", "paths", "outDir", "typeRoots", "tsBuildInfoFile"];

function readJson(file) {
  return JSON.parse(readFileSync(file, "utf8"));
}

function members() {
  const out = [];
  for (const group of ["packages", "apps"]) {
    for (const name of readdirSync(join(ROOT, group)).sort()) {
      const dir = join(ROOT, group, name);
      let pkg;
      try {
        pkg = readJson(join(dir, "package.json"));
      } catch {
        continue;
      }
      out.push({ dir, name: pkg.name, script: pkg.scripts?.typecheck });
    }
  }
  return out;
}

/** The tsconfigs a `typecheck` script checks, or null when it is not a chain of `tsc -p <file>`. */
function tsconfigsOf(script) {
  const parts = script.split("&&").map((p) => p.trim());
  const files = [];
  for (const part of parts) {
    const m = /^tsc -p (\S+)$/.exec(part);
    if (!m) return null;
    files.push(m[1]);
  }
  return files;
}

/** A key shared by tsconfigs that can be one program, or null when this one must stay alone. */
function mergeKey(file, config) {
  const allowed = new Set(["extends", "include", "compilerOptions"]);
  if (Object.keys(config).some((k) => !allowed.has(k))) return null;
  if (typeof config.extends !== "string" || !Array.isArray(config.include)) return null;
  const options = config.compilerOptions ?? {};
  if (PATH_OPTIONS.some((k) => k in options)) return null;
  const sorted = Object.fromEntries(Object.entries(options).sort(([a], [b]) => a.localeCompare(b)));
  return JSON.stringify({ extends: resolve(dirname(file), config.extends), compilerOptions: sorted });
}

/** The commands to run: merged programs first, then the ones on their own. */
function plan() {
  const groups = new Map();
  const alone = [];
  const scripts = [];
  const configs = [];
  for (const m of members()) {
    if (!m.script) continue;
    const files = tsconfigsOf(m.script);
    if (files === null)
      scripts.push({
        label: `${m.name} (its typecheck script)`,
        cmd: "pnpm",
        args: ["--filter", m.name, "run", "typecheck"],
      });
    else for (const f of files) configs.push({ label: m.name, file: join(m.dir, f) });
  }
  for (const f of EXTRA) configs.push({ label: dirname(f), file: join(ROOT, f) });
  for (const c of configs) {
    const config = readJson(c.file);
    const key = mergeKey(c.file, config);
    if (key === null) {
      alone.push(c);
      continue;
    }
    const group = groups.get(key) ?? {
      extends: resolve(dirname(c.file), config.extends),
      compilerOptions: config.compilerOptions,
      include: [],
      labels: [],
      files: [],
    };
    group.include.push(...config.include.map((i) => resolve(dirname(c.file), i)));
    group.labels.push(c.label);
    group.files.push(c.file);
    groups.set(key, group);
  }
  const tsc = join(ROOT, "node_modules", ".bin", "tsc");
  const cacheDir = join(ROOT, "node_modules", ".cache", "catalyst-typecheck");
  const commands = [];
  let n = 0;
  for (const g of groups.values()) {
    if (g.files.length === 1) {
      commands.push({ label: g.labels[0], cmd: tsc, args: ["-p", g.files[0]] });
      continue;
    }
    mkdirSync(cacheDir, { recursive: true });
    const file = join(cacheDir, `tsconfig.${++n}.json`);
    const body = { extends: g.extends, include: g.include };
    if (g.compilerOptions) body.compilerOptions = g.compilerOptions;
    writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
    commands.push({ label: g.labels.join(", "), cmd: tsc, args: ["-p", file] });
  }
  for (const c of alone)
    commands.push({ label: `${c.label} (${c.file.slice(ROOT.length)})`, cmd: tsc, args: ["-p", c.file] });
  return commands.concat(scripts);
}

function runOne(command) {
  return new Promise((done) => {
    const child = spawn(command.cmd, command.args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      out += d;
    });
    child.once("error", (error) =>
      done({ command, ok: false, out: `${command.cmd} did not run: ${error.message}` }),
    );
    child.once("close", (code) => done({ command, ok: code === 0, out }));
  });
}

async function main() {
  const commands = plan();
  if (process.argv.includes("--list")) {
    for (const c of commands) process.stdout.write(`${c.label}\n  ${c.cmd} ${c.args.join(" ")}\n`);
    return;
  }
  // Two at a time: the box has two cores, and one tsc program is single-threaded.
  const queue = [...commands];
  const results = [];
  await Promise.all(
    [0, 1].map(async () => {
      for (let c = queue.shift(); c; c = queue.shift()) results.push(await runOne(c));
    }),
  );
  let failed = 0;
  for (const r of results) {
    if (r.ok) continue;
    failed += 1;
    process.stdout.write(`typecheck failed: ${r.command.label}\n${r.out}\n`);
  }
  process.stdout.write(`typecheck: ${commands.length - failed} of ${commands.length} programs passed\n`);
  process.exitCode = failed > 0 ? 1 : 0;
}

await main();
