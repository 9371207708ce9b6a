import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  MONITOR_NODE_ARGS,
  readServiceArgs,
  renderLaunchdPlist,
  renderSystemdUnit,
  ServiceFileError,
  type ServiceSpec,
  servicePaths,
} from "./service-files.js";
import { serviceFlags } from "./service-flags.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "monitor-service-"));
  dirs.push(dir);
  return dir;
}

function spec(overrides: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    node: process.execPath,
    bin: "/opt/catalyst/lib/node_modules/catalyst-monitor/dist/bin.js",
    args: ["--dir", "/home/ada/catalyst", "--port", "7400", "--log-format", "json"],
    path: "/usr/local/bin:/usr/bin:/bin",
    url: "http://127.0.0.1:7400/",
    version: "1.2.3",
    envFile: "/home/ada/.config/catalyst-monitor/env",
    logFile: "/Users/ada/Library/Logs/catalyst-monitor.log",
    ...overrides,
  };
}

// Arguments a shell or a unit file could get wrong: spaces, quotes, specifiers, variables, XML.
const AWKWARD = ["--dir", `/tmp/fleet dir/it's "%h" $HOME & <x> \\ 100%`, "--history", "12h"];

/** `systemd-analyze verify` on a unit file, or null when systemd-analyze is not installed. */
function verifyUnit(path: string): { status: number | null; stderr: string } | null {
  const res = spawnSync("systemd-analyze", ["verify", path], { encoding: "utf8" });
  if (res.error) return null;
  return { status: res.status, stderr: res.stderr };
}

describe("servicePaths", () => {
  it("uses XDG_CONFIG_HOME when it is absolute, else ~/.config; LaunchAgents on macOS", () => {
    expect(servicePaths("systemd", { XDG_CONFIG_HOME: "/x/cfg" }, "/home/ada").file).toBe(
      "/x/cfg/systemd/user/catalyst-monitor.service",
    );
    const fallback = servicePaths("systemd", { XDG_CONFIG_HOME: "relative" }, "/home/ada");
    expect(fallback.file).toBe("/home/ada/.config/systemd/user/catalyst-monitor.service");
    expect(fallback.enableLink).toBe(
      "/home/ada/.config/systemd/user/default.target.wants/catalyst-monitor.service",
    );
    expect(servicePaths("launchd", {}, "/Users/ada").file).toBe(
      "/Users/ada/Library/LaunchAgents/dev.catalyst.monitor.plist",
    );
  });
});

describe("renderSystemdUnit", () => {
  it("restarts on failure, logs json to the journal and keeps the flags readable for status", () => {
    const unit = renderSystemdUnit(spec());
    expect(unit).toContain(
      `ExecStart=${process.execPath} /opt/catalyst/lib/node_modules/catalyst-monitor/dist/bin.js --dir /home/ada/catalyst --port 7400 --log-format json\n`,
    );
    expect(unit).toContain("Restart=on-failure\n");
    expect(unit).toContain("StandardError=journal\n");
    expect(unit).toContain("WantedBy=default.target\n");
    expect(readServiceArgs(unit)).toEqual(spec().args);
  });

  it("quotes specifiers, variables, quotes and spaces; systemd-analyze verify accepts the unit", async (ctx) => {
    const dir = await tempDir();
    // The node path itself has a space and a %, as a home dir might.
    const nodeDir = join(dir, "node 100%");
    await mkdir(nodeDir);
    await symlink(process.execPath, join(nodeDir, "node"));
    const unit = renderSystemdUnit(spec({ node: join(nodeDir, "node"), args: AWKWARD }));
    const exec = unit.split("\n").find((l) => l.startsWith("ExecStart="))!;
    expect(exec).toContain(`"${nodeDir.replace("%", "%%")}/node"`);
    expect(exec).toContain(`"/tmp/fleet dir/it's \\"%%h\\" $$HOME & <x> \\\\ 100%%"`);
    expect(readServiceArgs(unit)).toEqual(AWKWARD);

    const file = join(dir, "catalyst-monitor.service");
    await writeFile(file, unit);
    const verify = verifyUnit(file);
    if (verify === null) return ctx.skip("systemd-analyze is not installed (Debian package systemd)");
    expect(verify.stderr).toBe("");
    expect(verify.status).toBe(0);
  });

  it("systemd-analyze verify rejects a broken unit (so the check above can fail)", async (ctx) => {
    const dir = await tempDir();
    const file = join(dir, "catalyst-monitor.service");
    await writeFile(file, renderSystemdUnit(spec()).replace(/^ExecStart=/m, 'ExecStart="'));
    const verify = verifyUnit(file);
    if (verify === null) return ctx.skip("systemd-analyze is not installed (Debian package systemd)");
    expect(verify.status).not.toBe(0);
  });

  it("refuses control characters instead of writing a broken line", () => {
    expect(() => renderSystemdUnit(spec({ args: ["--dir", "/tmp/a\nExecStartPre=/bin/rm"] }))).toThrow(
      /control character/,
    );
    expect(() =>
      renderSystemdUnit(spec({ nodeArgs: ["--max-semi-space-size=8\nExecStartPre=/bin/rm"] })),
    ).toThrow(/node flag .* control character/);
  });

  it("puts node's flags between node and the bin; status still reads back the monitor's flags alone", () => {
    const unit = renderSystemdUnit(spec({ nodeArgs: [...MONITOR_NODE_ARGS] }));
    expect(unit).toContain(
      `ExecStart=${process.execPath} ${MONITOR_NODE_ARGS.join(" ")} /opt/catalyst/lib/node_modules/catalyst-monitor/dist/bin.js --dir`,
    );
    expect(readServiceArgs(unit)).toEqual(spec().args);
  });
});

describe("MONITOR_NODE_ARGS", () => {
  it("are flags this node takes at start, and they cap the young generation at 2 × 8 MiB", () => {
    // Survivors make V8 grow new space up to its cap; print the size it grew to.
    const grown = (flags: readonly string[]) => {
      const res = spawnSync(
        process.execPath,
        [
          ...flags,
          "-e",
          `let keep = [];
for (let i = 0; i < 5e5; i++) { keep.push({ i }); if (keep.length > 2e5) keep = []; }
const v8 = require("node:v8");
process.stdout.write(String(v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size));`,
        ],
        { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } },
      );
      expect(res.stderr).toBe("");
      return Number(res.stdout);
    };
    const MiB = 1024 * 1024;
    expect(grown(MONITOR_NODE_ARGS)).toBeLessThanOrEqual(16 * MiB);
    // V8's own cap is higher, so the check above can fail.
    expect(grown([])).toBeGreaterThan(16 * MiB);
  });
});

describe("renderLaunchdPlist", () => {
  /** Parses with python3's plistlib, the reference parser we have; null when python3 is missing. */
  function parsePlist(text: string): Record<string, unknown> | null {
    const res = spawnSync(
      "python3",
      ["-c", "import json, plistlib, sys; print(json.dumps(plistlib.loads(sys.stdin.buffer.read())))"],
      { input: text, encoding: "utf8" },
    );
    if (res.error) return null;
    if (res.status !== 0) throw new Error(`plistlib rejected the plist: ${res.stderr}`);
    return JSON.parse(res.stdout) as Record<string, unknown>;
  }

  it("is a plist a real parser reads back to the exact arguments", (ctx) => {
    const text = renderLaunchdPlist(spec({ args: AWKWARD, nodeArgs: [...MONITOR_NODE_ARGS] }));
    const plist = parsePlist(text);
    if (plist === null) return ctx.skip("python3 is not installed");
    expect(plist).toEqual({
      Label: "dev.catalyst.monitor",
      ProgramArguments: [process.execPath, ...MONITOR_NODE_ARGS, spec().bin, ...AWKWARD],
      EnvironmentVariables: { PATH: "/usr/local/bin:/usr/bin:/bin" },
      RunAtLoad: true,
      KeepAlive: { SuccessfulExit: false },
      ThrottleInterval: 5,
      ProcessType: "Background",
      StandardOutPath: spec().logFile,
      StandardErrorPath: spec().logFile,
    });
    expect(readServiceArgs(text)).toEqual(AWKWARD);
  });

  it("plistlib rejects a broken plist (so the check above can fail)", (ctx) => {
    const broken = renderLaunchdPlist(spec()).replace("</dict>\n</plist>", "</plist>");
    if (parsePlist(renderLaunchdPlist(spec())) === null) return ctx.skip("python3 is not installed");
    expect(() => parsePlist(broken)).toThrow(/plistlib rejected/);
  });
});

describe("serviceFlags", () => {
  const defaults = { allowToken: false, dir: "/home/ada/catalyst", port: 7400 };

  it("keeps the flags, makes paths absolute and adds dir, port and json logs when missing", () => {
    const { args, given } = serviceFlags(["--pid-file", "run/m.pid", "--history", "12h"], defaults);
    expect(args).toEqual([
      "--pid-file",
      join(process.cwd(), "run/m.pid"),
      "--history",
      "12h",
      "--dir",
      "/home/ada/catalyst",
      "--port",
      "7400",
      "--log-format",
      "json",
    ]);
    expect([...given]).toEqual(["pid-file", "history"]);
    expect(serviceFlags(["--log-format", "text", "--port", "9"], defaults).args).toEqual([
      "--log-format",
      "text",
      "--port",
      "9",
      "--dir",
      "/home/ada/catalyst",
    ]);
  });

  it("refuses --token (unless allowed), --demo and --version with a ServiceFileError", () => {
    for (const argv of [["--token", "t"], ["--demo"], ["--version"], ["-V"], ["-v"]])
      expect(() => serviceFlags(argv, defaults), argv.join(" ")).toThrow(ServiceFileError);
    expect(serviceFlags(["--token", "t"], { ...defaults, allowToken: true }).args.slice(0, 2)).toEqual([
      "--token",
      "t",
    ]);
  });
});
