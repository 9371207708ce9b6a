import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { killAllSpawned, type SpawnedBin, spawnBin } from "@catalyst/test-utils";
import { afterEach, describe, expect, it } from "vitest";

// The bin runs from source through tsx with the workspace's source condition (spawnBin of
// @catalyst/test-utils), as a real child process: no build is needed, and no other test's build can
// pull dist/ from under it.
const MONITOR_DIR = fileURLToPath(new URL("../../", import.meta.url));

type Run = SpawnedBin;

const dirs: string[] = [];
afterEach(async () => {
  killAllSpawned();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** The bin from source, in the monitor's own dir, with a minimal environment (no GitHub token). */
function runBin(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  return spawnBin("monitor", args, { cwd: MONITOR_DIR, env });
}

async function waitForUrl(run: Run, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = /catalyst-monitor listening on (http:\/\/127\.0\.0\.1:\d+\/)\n/.exec(run.stdout());
    if (match) return match[1]!;
    if (run.child.exitCode !== null || Date.now() > deadline)
      throw new Error(`no listening line; stdout=${run.stdout()} stderr=${run.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "monitor-bin-"));
  dirs.push(dir);
  return dir;
}

describe("catalyst-monitor bin (child process)", () => {
  it("prints help and version and exits 0", async () => {
    const help = runBin(["--help"]);
    expect((await help.exit).code).toBe(0);
    expect(help.stdout()).toContain("Usage:");
    const version = runBin(["--version"]);
    expect((await version.exit).code).toBe(0);
    expect(version.stdout().trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("exits 2 with one line on a bad flag or a non-loopback host without a token", async () => {
    for (const args of [["--bogus"], ["--host", "0.0.0.0"]]) {
      const run = runBin(args);
      expect((await run.exit).code, args.join(" ")).toBe(2);
      expect(run.stderr().trim().split("\n"), args.join(" ")).toHaveLength(1);
      expect(run.stderr()).toMatch(/^catalyst-monitor: /);
    }
  });

  it("exits 1 with one error line and no stack trace when the port is in use", async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const dir = await tempDir();
      const run = runBin(["--dir", join(dir, "catalyst"), "--port", String(port)]);
      expect((await run.exit).code).toBe(1);
      const lines = run.stderr().trim().split("\n");
      expect(lines.at(-1)).toBe(`catalyst-monitor: port ${port} is in use (try --port 0 or another port)`);
      expect(run.stderr()).not.toMatch(/\n\s+at /);
      expect(run.stdout()).toBe("");
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it("serves a missing catalyst dir, writes the pid file, and exits 0 on SIGTERM with streams open", async () => {
    const dir = await tempDir();
    const pidFile = join(dir, "monitor.pid");
    const run = runBin(["--dir", join(dir, "not-yet"), "--port", "0", "--pid-file", pidFile]);
    const url = await waitForUrl(run);
    expect((await readFile(pidFile, "utf8")).trim()).toBe(String(run.child.pid));
    const health = await fetch(`${url}healthz`);
    expect(health.status).toBe(200);
    const events = await fetch(`${url}events`);
    const reader = events.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain("retry: 2000");

    const sentAt = Date.now();
    run.child.kill("SIGTERM");
    const { code } = await run.exit;
    const tookMs = Date.now() - sentAt;
    expect(code).toBe(0);
    // The budget is 1 s; leave slack for a loaded CI box.
    expect(tookMs).toBeLessThan(5_000);
    await expect(readFile(pidFile, "utf8")).rejects.toThrow();
    await reader.read().catch(() => null);
  });

  it("exits 0 on SIGINT too and never prints the token", async () => {
    const dir = await tempDir();
    const run = runBin(["--dir", dir, "--port", "0", "--token", "very-secret-token-123"]);
    const url = await waitForUrl(run);
    expect((await fetch(`${url}healthz`)).status).toBe(401);
    expect(
      (await fetch(`${url}healthz`, { headers: { Authorization: "Bearer very-secret-token-123" } })).status,
    ).toBe(200);
    run.child.kill("SIGINT");
    expect((await run.exit).code).toBe(0);
    expect(run.stdout() + run.stderr()).not.toContain("very-secret-token-123");
  });

  it("--demo starts a live fleet, never polls GitHub even with a token, and cleans up on exit", async () => {
    const run = runBin(["--demo", "--port", "0"], { GITHUB_TOKEN: "ghp_demo-should-not-be-used" });
    const url = await waitForUrl(run, 60_000);
    const health = (await (await fetch(`${url}healthz`)).json()) as {
      catalystDir: string;
      pollers: { github: { enabled: boolean } };
    };
    expect(health.pollers.github.enabled).toBe(false);
    const deadline = Date.now() + 30_000;
    let orchestrators = 0;
    while (orchestrators === 0 && Date.now() < deadline) {
      const snap = (await (await fetch(`${url}api/snapshot`)).json()) as { orchestrators: unknown[] };
      orchestrators = snap.orchestrators.length;
      if (orchestrators === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(orchestrators).toBeGreaterThan(0);
    run.child.kill("SIGTERM");
    expect((await run.exit).code).toBe(0);
    expect(run.stderr()).toContain("PR polling disabled in demo mode");
    expect(run.stdout() + run.stderr()).not.toContain("ghp_demo-should-not-be-used");
    await expect(readFile(join(health.catalystDir, "state.json"), "utf8")).rejects.toThrow();
  }, 90_000);
});
