import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.js";
import { parseServiceArgs } from "./service-args.js";

describe("parseServiceArgs", () => {
  const home = "/home/ada";

  it("picks the file kind from the platform unless told, and fills in dir, port and json logs", () => {
    const linux = parseServiceArgs(
      ["print"],
      { CATALYST_DIR: "/srv/catalyst", MONITOR_PORT: "7500" },
      home,
      "linux",
    );
    expect(linux.kind).toBe("systemd");
    expect(linux.monitorArgs).toEqual(["--dir", "/srv/catalyst", "--port", "7500", "--log-format", "json"]);
    expect(parseServiceArgs(["print"], {}, home, "darwin").kind).toBe("launchd");
    expect(parseServiceArgs(["print", "--systemd"], {}, home, "darwin").kind).toBe("systemd");
    expect(parseServiceArgs(["--launchd", "print"], {}, home, "linux").kind).toBe("launchd");
  });

  it("keeps the given flags, makes paths absolute and keeps an explicit --log-format", () => {
    const cmd = parseServiceArgs(
      ["install", "--dir", "rel/cat", "--port=7600", "--log-format", "text", "--pid-file", "run/m.pid"],
      {},
      home,
      "linux",
    );
    expect(cmd.monitorArgs).toEqual([
      "--dir",
      join(process.cwd(), "rel/cat"),
      "--port",
      "7600",
      "--log-format",
      "text",
      "--pid-file",
      join(process.cwd(), "run/m.pid"),
    ]);
    expect(cmd.options.port).toBe(7600);
    expect(cmd.flagsGiven).toBe(true);
  });

  it("refuses what does not belong in a unit file, with one clear line", () => {
    const cases: Array<[string[], RegExp]> = [
      [["install", "--token", "s3cret"], /--token would be written into the service file/],
      [["print", "--demo"], /--demo runs a throw-away simulated fleet/],
      [["print", "--systemd", "--launchd"], /not both/],
      [["start"], /unknown service action "start"/],
      [["print", "--bogus"], /Unknown option '--bogus'.*\(see service --help\)$/],
      [["--port", "7500"], /name an action first/],
      [["print", "--port", "99999"], /--port must be an integer/],
    ];
    for (const [argv, message] of cases) {
      expect(() => parseServiceArgs(argv, {}, home, "linux"), argv.join(" ")).toThrow(UsageError);
      expect(() => parseServiceArgs(argv, {}, home, "linux"), argv.join(" ")).toThrow(message);
    }
    // status only reads /healthz, so a token there is used and never written down.
    expect(parseServiceArgs(["status", "--token", "t"], {}, home, "linux").options.token).toBe("t");
  });

  it("answers --help with or without an action", () => {
    expect(parseServiceArgs([], {}, home, "linux").action).toBe("help");
    expect(parseServiceArgs(["install", "--help"], {}, home, "linux").action).toBe("help");
  });
});
