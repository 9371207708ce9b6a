import { ServiceFileError, type ServiceKind, serviceFlags } from "@catalyst/service-files";
import { UsageError } from "../errors.js";
import { type CliOptions, parseCliArgs } from "./parse-args.js";

/** What `catalyst-monitor service` was asked to do. */
export type ServiceAction = "print" | "install" | "uninstall" | "status";

/** `catalyst-monitor service …` after parsing. */
export interface ServiceCommand {
  action: ServiceAction | "help";
  kind: ServiceKind;
  /** The monitor flags exactly as the service will get them. */
  monitorArgs: string[];
  /** Those flags read the way the monitor will read them. */
  options: CliOptions;
  /** True when the command line named any monitor flag (status then ignores the installed file). */
  flagsGiven: boolean;
}

const ACTIONS: readonly string[] = ["print", "install", "uninstall", "status"];

/**
 * Reads `service <action> [--systemd|--launchd] [monitor flags]`. The monitor flags are checked by
 * the monitor's own parser, then kept as given, with path values made absolute and `--dir`,
 * `--port` (from CATALYST_DIR / MONITOR_PORT when not given) and `--log-format json` added, since
 * a service does not see the shell's environment.
 */
export function parseServiceArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  home: string,
  platform: NodeJS.Platform,
): ServiceCommand {
  const rest = [...argv];
  let kind: ServiceKind | null = null;
  let action: ServiceAction | "help" | null = null;
  const monitorArgv: string[] = [];
  for (const arg of rest) {
    if (arg === "--systemd" || arg === "--launchd") {
      const picked = arg === "--systemd" ? "systemd" : "launchd";
      if (kind !== null && kind !== picked)
        throw new UsageError("give one of --systemd and --launchd, not both");
      kind = picked;
    } else if (arg === "--help" || arg === "-h") action = "help";
    else if (action === null) {
      if (arg.startsWith("-"))
        throw new UsageError(
          "name an action first: service print|install|uninstall|status (see service --help)",
        );
      if (!ACTIONS.includes(arg))
        throw new UsageError(
          `unknown service action ${JSON.stringify(arg)}; use print, install, uninstall or status (see service --help)`,
        );
      action = arg as ServiceAction;
    } else monitorArgv.push(arg);
  }
  const chosenKind = kind ?? (platform === "darwin" ? "launchd" : "systemd");
  let options: CliOptions;
  try {
    options = parseCliArgs(monitorArgv, env, home);
  } catch (error) {
    if (error instanceof UsageError)
      throw new UsageError(error.message.replace("(see --help)", "(see service --help)"));
    throw error;
  }
  if (action === "help" || action === null) {
    return { action: "help", kind: chosenKind, monitorArgs: [], options, flagsGiven: false };
  }

  let flags: { args: string[]; given: ReadonlySet<string> };
  try {
    flags = serviceFlags(monitorArgv, {
      allowToken: action === "status",
      dir: options.dir,
      port: options.port,
    });
  } catch (error) {
    if (error instanceof ServiceFileError) throw new UsageError(error.message);
    throw error;
  }
  const monitorArgs = flags.args;
  const given = flags.given;
  return {
    action,
    kind: chosenKind,
    monitorArgs,
    options: parseCliArgs(monitorArgs, {}, home),
    flagsGiven: given.size > 0,
  };
}
