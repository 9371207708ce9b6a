import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { waitUntil } from "@catalyst/test-utils";
import { inject } from "vitest";

// The real bin as a child process: src/bin.ts bundled once by the global setup (with the
// workspace packages read from source), run by plain node.
const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = join(here, "..", "..", "..");
export const NODE_ARGS = [inject("replayBin")];

/** The finished run of the bin. */
export interface BinResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/** The environment children get: no colour forcing from the test runner's own env. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // The log index goes to a temp cache dir, never the user's ~/.cache.
  const env: NodeJS.ProcessEnv = { ...process.env, CATALYST_CACHE_DIR: inject("replayCacheDir"), ...extra };
  if (!("FORCE_COLOR" in extra)) delete env.FORCE_COLOR;
  if (!("NO_COLOR" in extra)) delete env.NO_COLOR;
  return env;
}

/** Run `catalyst-replay <args>` to completion. */
export function runBin(args: string[], env: Record<string, string> = {}): Promise<BinResult> {
  const child = spawn(process.execPath, [...NODE_ARGS, ...args], {
    cwd: REPO_ROOT,
    env: childEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  return collect(child);
}

/** Run a shell pipeline (bash, pipefail) to completion; `$REPLAY` expands to the bin command. */
export function runShell(script: string, env: Record<string, string> = {}): Promise<BinResult> {
  const replay = [process.execPath, ...NODE_ARGS].join(" ");
  const child = spawn("bash", ["-c", `set -o pipefail; ${script}`], {
    cwd: REPO_ROOT,
    env: childEnv({ ...env, REPLAY: replay }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  return collect(child);
}

const PROGRESS_LINE = /^catalyst-replay: indexing .*\(first read of this part of the log\)\n/gm;

/** Collect a child's output until it exits (stderr without indexing progress lines). */
export function collect(child: ChildProcess): Promise<BinResult> {
  const out: Buffer[] = [];
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => out.push(chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    // Indexing progress is printed only when a first run takes over a second: a timing (a busy box
    // makes a 6 kB log take that long), which no end-to-end test may depend on. replay.test.ts
    // tests the progress line with an injected clock.
    child.on("close", (code, signal) =>
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: stderr.replace(PROGRESS_LINE, "") }),
    );
  });
}

/** Waits until `check` holds (`waitUntil` of @catalyst/test-utils, on vi.waitFor), failing after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  await waitUntil(what, check, { timeoutMs, intervalMs: 20 });
}
