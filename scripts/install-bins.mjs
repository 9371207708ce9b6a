#!/usr/bin/env node
// `pnpm install-bins`: build the three apps, pack them and `npm install -g` the tarballs, so
// `catalyst-monitor`, `catalyst-replay` and `catalyst-top` are on PATH. Each app bundles the @catalyst/* libraries
// (see tsup.config.base.ts), so the tarballs install from the public npm registry alone.
// Usage: node scripts/install-bins.mjs [--prefix <dir>] [--pack-only <dir>] [--no-build]
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
/** The apps that ship a bin, in install order. */
export const APPS = ["catalyst-monitor", "catalyst-replay", "catalyst-top"];

const USAGE = `Usage: pnpm install-bins [--prefix <dir>] [--pack-only <dir>] [--no-build]

Builds apps/monitor, apps/replay and apps/top, packs them and runs \`npm install -g\` on the tarballs.
  --prefix <dir>     install under <dir> (bins in <dir>/bin) instead of npm's global prefix
  --pack-only <dir>  write the tarballs to <dir> and stop
  --no-build         pack the existing dist/ as it is
Remove them again with: npm uninstall -g ${APPS.join(" ")}
`;

class Failure extends Error {
  constructor(message, code = 1) {
    super(message);
    this.code = code;
  }
}

function fail(message, code = 1) {
  throw new Failure(message, code);
}

// `pnpm run` exports its settings as npm_config_* variables; npm warns about each one it does not
// know, so the child commands get the environment without them.
const CHILD_ENV = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !key.startsWith("npm_config_")),
);

function step(label, cmd, args, cwd = ROOT) {
  process.stdout.write(`install-bins: ${label}\n`);
  const res = spawnSync(cmd, args, { cwd, env: CHILD_ENV, stdio: ["ignore", "inherit", "inherit"] });
  if (res.error) fail(`${cmd} did not run: ${res.error.message}`);
  if (res.status !== 0) fail(`\`${cmd} ${args.join(" ")}\` exited ${res.status ?? res.signal}`);
}

function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        prefix: { type: "string" },
        "pack-only": { type: "string" },
        "no-build": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    fail(`${error.message.split("\n")[0]}\n\n${USAGE}`, 2);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }

  if (!values["no-build"])
    step(
      "building the apps",
      "pnpm",
      APPS.flatMap((app) => ["--filter", app]).concat(["--reporter=append-only", "run", "build"]),
    );

  const packDir = values["pack-only"]
    ? resolve(values["pack-only"])
    : mkdtempSync(join(tmpdir(), "catalyst-bins-"));
  mkdirSync(packDir, { recursive: true });
  try {
    for (const app of APPS) {
      // pnpm pack (not npm pack) so the workspace:* dev dependencies are written as plain versions.
      step(
        `packing ${app}`,
        "pnpm",
        ["pack", "--pack-destination", packDir],
        join(ROOT, "apps", app.replace(/^catalyst-/, "")),
      );
    }
    const tarballs = readdirSync(packDir)
      .filter((name) => APPS.some((app) => name.startsWith(`${app}-`) && name.endsWith(".tgz")))
      .map((name) => join(packDir, name));
    if (tarballs.length !== APPS.length)
      fail(`expected ${APPS.length} tarballs in ${packDir}, found ${tarballs.length}`);
    if (values["pack-only"]) {
      process.stdout.write(`${tarballs.join("\n")}\n`);
      return;
    }
    const prefix = values.prefix === undefined ? [] : ["--prefix", resolve(values.prefix)];
    step("installing with npm install -g", "npm", [
      "install",
      "-g",
      ...prefix,
      "--no-audit",
      "--no-fund",
      ...tarballs,
    ]);
    const where = values.prefix === undefined ? "npm's global bin dir" : join(resolve(values.prefix), "bin");
    process.stdout.write(
      `installed ${APPS.join(", ")} into ${where}\nremove them with: npm uninstall -g ${prefix.join(" ")}${prefix.length ? " " : ""}${APPS.join(" ")}\n`,
    );
  } finally {
    if (!values["pack-only"]) rmSync(packDir, { recursive: true, force: true });
  }
}

try {
  main();
} catch (error) {
  if (!(error instanceof Failure)) throw error;
  process.stderr.write(`install-bins: ${error.message}\n`);
  process.exitCode = error.code;
}
