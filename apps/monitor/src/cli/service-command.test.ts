import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../logger.js";
import { type RunningMonitor, startMonitor } from "../start.js";
import { parseCliArgs } from "./parse-args.js";
import { runServiceCommand, type ServiceIo } from "./service-command.js";

const dirs: string[] = [];
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "monitor-service-cmd-"));
  dirs.push(dir);
  return dir;
}

interface Harness {
  home: string;
  catalyst: string;
  out: () => string;
  err: () => string;
  run: (argv: string[]) => Promise<number>;
}

async function harness(
  env: NodeJS.ProcessEnv = {},
  binPath = "/opt/catalyst-monitor/dist/bin.js",
): Promise<Harness> {
  const root = await tempDir();
  const home = join(root, "home");
  const catalyst = join(root, "catalyst");
  await mkdir(home);
  let out = "";
  let err = "";
  const io: ServiceIo = {
    env: { PATH: "/usr/bin:/bin", CATALYST_DIR: catalyst, ...env },
    home,
    platform: "linux",
    execPath: process.execPath,
    binPath,
    uid: 501,
    version: "1.2.3",
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      err += t;
    },
  };
  return {
    home,
    catalyst,
    out: () => out,
    err: () => err,
    run: (argv) => {
      out = "";
      err = "";
      return runServiceCommand(argv, io);
    },
  };
}

async function startRealMonitor(catalyst: string): Promise<RunningMonitor> {
  await mkdir(catalyst, { recursive: true });
  const options = parseCliArgs(["--dir", catalyst, "--port", "0", "--history", "0"], {}, tmpdir());
  const running = await startMonitor(
    options,
    { env: { GITHUB_TOKEN: "", GH_TOKEN: "", PATH: "" }, stdout: () => {}, stderr: () => {} },
    createLogger({ write: () => {} }),
  );
  stops.push(() => running.stop());
  return running;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  stops.push(() => new Promise((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

describe("catalyst-monitor service install / uninstall", () => {
  it("writes the unit into the user's unit dir, prints the one enable command, and removes it again", async () => {
    const h = await harness();
    const unit = join(h.home, ".config", "systemd", "user", "catalyst-monitor.service");
    expect(await h.run(["install", "--port", "7411"])).toBe(0);
    expect(h.out()).toContain(`wrote ${unit}\n`);
    expect(h.out()).toContain(
      "enable and start it with:\n  systemctl --user daemon-reload && systemctl --user enable --now catalyst-monitor.service\n",
    );
    const text = await readFile(unit, "utf8");
    expect(text).toContain(
      `ExecStart=${process.execPath} --max-semi-space-size=8 /opt/catalyst-monitor/dist/bin.js --port 7411 --dir ${h.catalyst} --log-format json\n`,
    );
    expect((await stat(unit)).mode & 0o777).toBe(0o644);
    // Nothing was created in the catalyst dir (it does not even exist).
    await expect(stat(h.catalyst)).rejects.toThrow(/ENOENT/);

    expect(await h.run(["install", "--port", "7412"])).toBe(0);
    expect(h.out()).toContain("replaced");
    expect(h.out()).toContain("systemctl --user restart catalyst-monitor.service");

    // `systemctl --user enable` makes this link; uninstall removes it as `disable` would.
    const link = join(
      h.home,
      ".config",
      "systemd",
      "user",
      "default.target.wants",
      "catalyst-monitor.service",
    );
    await mkdir(join(link, ".."), { recursive: true });
    await symlink(unit, link);
    expect(await h.run(["uninstall"])).toBe(0);
    expect(h.out()).toContain(`removed ${unit}\n`);
    expect(h.out()).toContain("systemctl --user stop catalyst-monitor.service");
    await expect(stat(unit)).rejects.toThrow(/ENOENT/);
    await expect(stat(link)).rejects.toThrow(/ENOENT/);
    expect(await h.run(["uninstall"])).toBe(0);
    expect(h.out()).toContain("nothing to remove");
  });

  it("writes a LaunchAgent on macOS and prints launchctl bootstrap", async () => {
    const h = await harness();
    expect(await h.run(["install", "--launchd"])).toBe(0);
    const plist = join(h.home, "Library", "LaunchAgents", "dev.catalyst.monitor.plist");
    expect(h.out()).toContain(
      `start it (and at every login) with:\n  launchctl bootstrap gui/501 ${plist}\n`,
    );
    expect(await readFile(plist, "utf8")).toContain("<string>--log-format</string>");
    expect(await h.run(["uninstall", "--launchd"])).toBe(0);
    expect(h.out()).toContain("launchctl bootout gui/501/dev.catalyst.monitor");
  });

  it("never writes into the catalyst dir, even when XDG_CONFIG_HOME points there", async () => {
    const root = await tempDir();
    const h = await harness({ CATALYST_DIR: root, XDG_CONFIG_HOME: join(root, "cfg") });
    expect(await h.run(["install"])).toBe(2);
    expect(h.err()).toMatch(
      /^catalyst-monitor: .* is inside the catalyst dir .*; refusing to write there\n$/,
    );
    await expect(stat(join(root, "cfg"))).rejects.toThrow(/ENOENT/);
  });

  it("refuses a unit dir inside the catalyst dir whose name only starts with `..`", async () => {
    const root = await tempDir();
    const h = await harness({ CATALYST_DIR: root, XDG_CONFIG_HOME: join(root, "..config") });
    expect(await h.run(["install"])).toBe(2);
    expect(h.err()).toMatch(
      /^catalyst-monitor: .*\/\.\.config\/systemd\/user\/catalyst-monitor\.service is inside the catalyst dir .*; refusing to write there\n$/,
    );
    await expect(stat(join(root, "..config"))).rejects.toThrow(/ENOENT/);
  });

  it("reports a write failure as one line and exit 1", async () => {
    const h = await harness();
    // A file where the unit dir should be.
    await mkdir(join(h.home, ".config"));
    await writeFile(join(h.home, ".config", "systemd"), "not a dir");
    expect(await h.run(["install"])).toBe(1);
    expect(h.err()).toMatch(/^catalyst-monitor: service install failed: .*(ENOTDIR|EEXIST).*\n$/);
  });
});

describe("catalyst-monitor service status", () => {
  it("reads /healthz of a real monitor, at the port the installed unit names", async () => {
    const h = await harness();
    const monitor = await startRealMonitor(h.catalyst);
    expect(await h.run(["install", "--port", String(monitor.port)])).toBe(0);
    expect(await h.run(["status"])).toBe(0);
    expect(h.out()).toContain("(installed)");
    expect(h.out()).toMatch(
      new RegExp(
        `monitor: (ok|degraded) at ${monitor.url}, version \\d+\\.\\d+\\.\\d+, up \\d+m \\d+s, 0 SSE clients, watching ${h.catalyst}\\n`,
      ),
    );
  });

  it("exits 3 when nothing answers, and 1 when something else does", async () => {
    const h = await harness();
    const closed = createServer();
    const free = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    expect(await h.run(["status", "--port", String(free)])).toBe(3);
    expect(h.out()).toContain("service file:");
    expect(h.out()).toContain("(not installed)");
    expect(h.out()).toContain(`monitor: not answering at http://127.0.0.1:${free}/ (ECONNREFUSED)`);

    const other = await listen(createServer((_req, res) => res.end("hello")));
    expect(await h.run(["status", "--port", String(other)])).toBe(1);
    expect(h.out()).toContain("did not answer like catalyst-monitor");

    const denied = await listen(
      createServer((_req, res) => {
        res.statusCode = 401;
        res.end('{"error":{"code":"unauthorized","message":"token required"}}');
      }),
    );
    expect(await h.run(["status", "--port", String(denied)])).toBe(1);
    expect(h.out()).toContain("answered HTTP 401");
  });

  it("warns when the monitor runs from TypeScript source, which the service could not start", async () => {
    const h = await harness({}, "/src/catalyst/apps/monitor/src/bin.ts");
    expect(await h.run(["print"])).toBe(0);
    expect(h.err()).toMatch(
      /^warning: the monitor runs from \/src\/catalyst\/apps\/monitor\/src\/bin\.ts, .*pnpm install-bins\)\n$/,
    );
    expect(h.out()).toContain("ExecStart=");
  });

  it("prints help with exit 0 and a usage error with exit 2", async () => {
    const h = await harness();
    expect(await h.run(["--help"])).toBe(0);
    expect(h.out()).toContain("Exit codes:");
    expect(await h.run(["install", "--demo"])).toBe(2);
    expect(h.err()).toMatch(/^catalyst-monitor: --demo [^\n]*\n$/);
  });
});
