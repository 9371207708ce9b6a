#!/usr/bin/env node
// `pnpm test`: typecheck, lint, the layer check, then every vitest project in one run.
// Ends with the line `N passed, N failed` (checks count as one test each).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";

const extra = process.argv.slice(2);
const results = { passed: 0, failed: 0, skipped: 0 };
const failedChecks = [];

function run(label, cmd, args) {
  console.log(`\n── ${label}: ${cmd} ${args.join(" ")}`);
  const res = spawnSync(cmd, args, { stdio: "inherit", shell: false });
  return res.status === 0;
}

function check(label, cmd, args) {
  if (run(label, cmd, args)) results.passed += 1;
  else {
    results.failed += 1;
    failedChecks.push(label);
  }
}

// Every member's tsconfig and faults/ and bench/, each file checked once (see scripts/typecheck.mjs).
check("typecheck", "node", ["scripts/typecheck.mjs"]);
check("lint", "pnpm", ["exec", "biome", "ci", ...(process.env.NO_COLOR ? ["--colors=off"] : []), "."]);
check("layers", "node", ["scripts/check-deps.mjs"]);

const out = ".vitest-results.json";
rmSync(out, { force: true });
run("tests", "pnpm", [
  "exec",
  "vitest",
  "run",
  "--reporter=default",
  "--reporter=json",
  `--outputFile.json=${out}`,
  ...extra,
]);
if (existsSync(out)) {
  const report = JSON.parse(readFileSync(out, "utf8"));
  results.passed += report.numPassedTests ?? 0;
  results.failed += (report.numFailedTests ?? 0) + (report.numRuntimeErrorTestSuites ?? 0);
  results.skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  if (report.numFailedTestSuites > 0 && (report.numFailedTests ?? 0) === 0)
    results.failed += report.numFailedTestSuites;
} else {
  results.failed += 1;
  failedChecks.push("vitest produced no report");
}

if (failedChecks.length > 0) console.log(`\nfailed checks: ${failedChecks.join(", ")}`);
console.log(`\n${results.passed} passed, ${results.failed} failed, ${results.skipped} skipped`);
process.exitCode = results.failed > 0 ? 1 : 0;
