// `pnpm install-bins` end to end: build and pack the three apps, `npm install -g` them into a temp
// prefix from the public registry, then run the installed bins from that prefix's PATH as a user
// would: replay a generated log, start the demo monitor, and generate, verify and install its
// service file.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { withBuildLock } from "../packages/test-utils/src/browser.js";

const ROOT = join(import.meta.dirname, "..");
const VERSION = (
  JSON.parse(readFileSync(join(ROOT, "apps/monitor/package.json"), "utf8")) as { version: string }
).version;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

let work = "";
let prefix = "";
/** Why the suite cannot run here, or null. */
let unreachable: string | null = null;
const children: ChildProcess[] = [];

/** Only the prefix's bins and node itself on PATH, like a fresh shell after the install. */
function binEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: [join(prefix, "bin"), dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin"].join(
      delimiter,
    ),
    HOME: join(work, "home"),
    XDG_CONFIG_HOME: join(work, "home", ".config"),
    GITHUB_TOKEN: "",
    GH_TOKEN: "",
    ...extra,
  };
}

function run(cmd: string, args: string[], env = binEnv()): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function registryReachable(): Promise<string | null> {
  try {
    const res = await fetch("https://registry.npmjs.org/hono", {
      method: "HEAD",
      signal: AbortSignal.timeout(15_000),
    });
    return res.ok ? null : `the npm registry answered HTTP ${res.status}`;
  } catch (error) {
    return `the npm registry is unreachable (${(error as Error).message})`;
  }
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "install-bins-"));
  prefix = join(work, "prefix");
  unreachable = await registryReachable();
  if (unreachable !== null) return;
  // The build empties apps/*/dist, so it takes the lock the dashboard tests build under. Three
  // apps built, packed and installed take minutes on a loaded 2-core box: a generous budget.
  const install = await withBuildLock(() =>
    run(
      process.execPath,
      [join(ROOT, "scripts/install-bins.mjs"), "--prefix", prefix],
      // npm settles for cached metadata when it has it, which keeps CI runs short.
      { ...process.env, npm_config_prefer_offline: "true" },
    ),
  );
  expect(install.code, `install-bins failed:\n${install.stdout}\n${install.stderr}`).toBe(0);
  expect(install.stdout).toContain(
    `npm uninstall -g --prefix ${prefix} catalyst-monitor catalyst-replay catalyst-top`,
  );
}, 420_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  await rm(work, { recursive: true, force: true });
});

describe("pnpm install-bins into a temp prefix", () => {
  it("installs only the three apps and public dependencies", ({ skip }) => {
    if (unreachable !== null) return skip(unreachable);
    const modules = join(prefix, "lib", "node_modules");
    for (const app of ["catalyst-monitor", "catalyst-replay", "catalyst-top"]) {
      expect(existsSync(join(prefix, "bin", app)), app).toBe(true);
      const pkg = JSON.parse(readFileSync(join(modules, app, "package.json"), "utf8")) as {
        dependencies?: Record<string, string>;
      };
      expect(
        Object.keys(pkg.dependencies ?? {}).filter((d) => d.startsWith("@catalyst/")),
        app,
      ).toEqual([]);
    }
    expect(existsSync(join(modules, "@catalyst"))).toBe(false);
    expect(existsSync(join(modules, "catalyst-monitor", "node_modules", "@catalyst"))).toBe(false);
  });

  it("catalyst-replay --since prints the generated log from that time on", async ({ skip }) => {
    if (unreachable !== null) return skip(unreachable);
    const dir = join(work, "catalyst");
    await mkdir(join(dir, "events"), { recursive: true });
    const line = (ts: string, event: string, worker: string) =>
      JSON.stringify({ ts, orchestrator: "orch-install-2026-04-14", worker, event, detail: null });
    await writeFile(
      join(dir, "events", "2026-04.jsonl"),
      `${[
        line("2026-04-14T10:00:00Z", "worker-dispatched", "T-1"),
        line("2026-04-14T11:00:00Z", "worker-dispatched", "T-2"),
        line("2026-04-14T12:00:00Z", "worker-done", "T-1"),
      ].join("\n")}\n`,
    );
    const out = await run("catalyst-replay", [
      "--since",
      "2026-04-14T10:30:00Z",
      "--format",
      "jsonl",
      "--dir",
      dir,
    ]);
    expect(out.code, out.stderr).toBe(0);
    const workers = out.stdout
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { worker: string }).worker);
    expect(workers).toEqual(["T-2", "T-1"]);
  });

  it("catalyst-monitor --demo serves /healthz; service status reads it; errors are one line", async ({
    skip,
  }) => {
    if (unreachable !== null) return skip(unreachable);
    const child = spawn("catalyst-monitor", ["--demo", "--port", "0", "--history", "0"], {
      env: binEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const url = await vi.waitFor(
      () => {
        const match = /catalyst-monitor listening on (http:\/\/127\.0\.0\.1:\d+\/)\n/.exec(stdout);
        if (!match) throw new Error(`no listening line yet; stderr: ${stderr}`);
        return match[1]!;
      },
      { timeout: 30_000, interval: 50 },
    );
    const health = (await (await fetch(`${url}healthz`)).json()) as { version: string };
    expect(health.version).toBe(VERSION);
    // The one start-up log line carries the URL and the version.
    expect(stderr).toMatch(
      new RegExp(`info catalyst-monitor started version=${VERSION.replaceAll(".", "\\.")} url=${url}`),
    );

    const port = new URL(url).port;
    const status = await run("catalyst-monitor", ["service", "status", "--port", port]);
    expect(status.code, status.stdout + status.stderr).toBe(0);
    expect(status.stdout).toContain(`at ${url}, version ${VERSION}`);

    const help = await run("catalyst-monitor", ["service", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("catalyst-monitor service print");
    const bad = await run("catalyst-monitor", ["service", "start"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^catalyst-monitor: unknown service action "start"[^\n]*\n$/);

    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });

  it("catalyst-top --demo --once prints the demo fleet as a plain table", async ({ skip }) => {
    if (unreachable !== null) return skip(unreachable);
    const version = await run("catalyst-top", ["--version"]);
    expect(version.code, version.stderr).toBe(0);
    const topPackage = JSON.parse(readFileSync(join(ROOT, "apps/top/package.json"), "utf8")) as {
      version: string;
    };
    expect(version.stdout).toBe(`${topPackage.version}\n`);
    const once = await run("catalyst-top", ["--demo", "--once"], binEnv({ NO_COLOR: "1" }));
    expect(once.code, once.stderr).toBe(0);
    expect(once.stdout).toMatch(/4 orch · 24 workers/);
    expect(once.stdout).toContain("TICKET");
  });

  it("service print gives a unit that systemd-analyze verify accepts, pointing at the installed bin", async ({
    skip,
  }) => {
    if (unreachable !== null) return skip(unreachable);
    const out = await run("catalyst-monitor", [
      "service",
      "print",
      "--systemd",
      "--dir",
      join(work, "catalyst"),
    ]);
    expect(out.code, out.stderr).toBe(0);
    const bin = join(prefix, "lib", "node_modules", "catalyst-monitor", "dist", "bin.js");
    expect(out.stdout).toContain(
      // The service's node flags (MONITOR_NODE_ARGS) go between node and the bin.
      `ExecStart=${process.execPath} --max-semi-space-size=8 ${bin} --dir ${join(work, "catalyst")} --port 7400`,
    );
    const analyze = spawnSync("systemd-analyze", ["--version"]);
    if (analyze.error)
      return skip("systemd-analyze is not installed (Debian package systemd); .ci/run installs it");
    const unit = join(work, "catalyst-monitor.service");
    await writeFile(unit, out.stdout);
    const verify = await run("systemd-analyze", ["verify", unit], process.env);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stderr).toBe("");
  });

  it("service install and uninstall write only the user's unit dir", async ({ skip }) => {
    if (unreachable !== null) return skip(unreachable);
    const unit = join(work, "home", ".config", "systemd", "user", "catalyst-monitor.service");
    const install = await run("catalyst-monitor", ["service", "install", "--systemd", "--port", "7411"]);
    expect(install.code, install.stderr).toBe(0);
    expect(install.stdout).toContain(
      "systemctl --user daemon-reload && systemctl --user enable --now catalyst-monitor.service",
    );
    const text = await readFile(unit, "utf8");
    expect(text).toMatch(/^ExecStart=.* --port 7411 --dir \S+ --log-format json$/m);
    const uninstall = await run("catalyst-monitor", ["service", "uninstall", "--systemd"]);
    expect(uninstall.code, uninstall.stderr).toBe(0);
    expect(existsSync(unit)).toBe(false);
  });
});
