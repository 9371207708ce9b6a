import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { UsageError } from "../errors.js";
import { type CliOptions, parseCliArgs } from "./parse-args.js";
import type { ServiceKind } from "./service-files.js";

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

/** Flags whose value is a path: written out absolute, since the service starts in the home dir. */
const PATH_FLAGS = new Set(["dir", "pid-file", "token-file"]);

/** Flags that make no sense in a unit file. */
const REFUSED: Record<string, string> = {
  token:
    "--token would be written into the service file and shown by ps; give the service a --token-file instead",
  demo: "--demo runs a throw-away simulated fleet; a service watches a real catalyst dir",
  version: "--version does not go into a service (catalyst-monitor --version prints it)",
};

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

  const { tokens } = parseArgs({
    args: monitorArgv,
    strict: false,
    allowPositionals: true,
    tokens: true,
    options: { demo: { type: "boolean" }, version: { type: "boolean", short: "v" } },
  });
  const given = new Set<string>();
  const monitorArgs: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.kind !== "option") continue;
    const refusal = REFUSED[token.name];
    // status only reads /healthz, so a token on its command line is never written anywhere.
    if (refusal !== undefined && !(action === "status" && token.name === "token"))
      throw new UsageError(refusal);
    let value = token.value;
    if (value === undefined && token.name !== "demo" && token.name !== "version") {
      // parseCliArgs accepted these flags strictly and rejects positionals, so a positional right
      // after a flag is that flag's value.
      const next = tokens[i + 1];
      if (next?.kind === "positional") {
        value = next.value;
        i++;
      }
    }
    given.add(token.name);
    if (value === undefined) monitorArgs.push(`--${token.name}`);
    else monitorArgs.push(`--${token.name}`, PATH_FLAGS.has(token.name) ? resolve(value) : value);
  }
  if (!given.has("dir")) monitorArgs.push("--dir", options.dir);
  if (!given.has("port")) monitorArgs.push("--port", String(options.port));
  if (!given.has("log-format")) monitorArgs.push("--log-format", "json");
  return {
    action,
    kind: chosenKind,
    monitorArgs,
    options: parseCliArgs(monitorArgs, {}, home),
    flagsGiven: given.size > 0,
  };
}
