import { describeHealthProbe, probeMonitorHealth } from "@catalyst/client";
import {
  installHints,
  MONITOR_NODE_ARGS,
  readServiceArgs,
  readServiceFile,
  removeServiceFile,
  renderLaunchdPlist,
  renderSystemdUnit,
  ServiceFileError,
  type ServicePaths,
  type ServiceSpec,
  servicePaths,
  uninstallHints,
  writeServiceFile,
} from "@catalyst/service-files";
import { reportCliError, resolvesInsideDir } from "@catalyst/sources/command-line";
import { formatUrlHost } from "@catalyst/sse-server";
import { UsageError } from "../errors.js";
import { SERVICE_HELP_TEXT } from "./help-text.js";
import { parseCliArgs } from "./parse-args.js";
import { parseServiceArgs, type ServiceCommand } from "./service-args.js";

/** What the service command reads from and writes to; `main` passes the real process's. */
export interface ServiceIo {
  env: NodeJS.ProcessEnv;
  home: string;
  platform: NodeJS.Platform;
  /** Absolute node binary (`process.execPath`). */
  execPath: string;
  /** Absolute path of the running monitor bin (`dist/bin.js`). */
  binPath: string;
  /** The user id for launchctl's `gui/<uid>` domain. */
  uid: number;
  version: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** @default 5000 */
  statusTimeoutMs?: number;
}

const BIN = "catalyst-monitor";

/** Exit codes: 0 done, 1 failed, 2 bad usage, 3 `status` found nothing answering (as LSB `status`). */
export const SERVICE_EXIT = { ok: 0, failed: 1, usage: 2, notRunning: 3 } as const;

function specFor(command: ServiceCommand, io: ServiceIo, paths: ServicePaths): ServiceSpec {
  const { options } = command;
  return {
    node: io.execPath,
    nodeArgs: [...MONITOR_NODE_ARGS],
    bin: io.binPath,
    args: command.monitorArgs,
    path: io.env.PATH || "/usr/local/bin:/usr/bin:/bin",
    url: `http://${formatUrlHost(options.host)}:${options.port}/`,
    version: io.version,
    envFile: paths.envFile,
    logFile: paths.logFile,
  };
}

function render(command: ServiceCommand, io: ServiceIo, paths: ServicePaths): string {
  const spec = specFor(command, io, paths);
  // Run from a checkout through tsx, the file would point plain node at TypeScript.
  if (!spec.bin.endsWith(".js"))
    io.stderr(
      `warning: the monitor runs from ${spec.bin}, which plain node cannot start; install the bins first (pnpm install-bins)\n`,
    );
  return command.kind === "systemd" ? renderSystemdUnit(spec) : renderLaunchdPlist(spec);
}

async function install(command: ServiceCommand, io: ServiceIo, paths: ServicePaths): Promise<number> {
  // The monitor never writes under the catalyst dir, and neither does its installer.
  // By where the write would land (a symlinked dir or unit dir), not only by name.
  if ((await resolvesInsideDir(paths.file, command.options.dir)).inside)
    throw new UsageError(
      `${paths.file} is inside the catalyst dir ${command.options.dir}; refusing to write there`,
    );
  const { replaced } = await writeServiceFile(paths, render(command, io, paths));
  io.stdout(`${replaced ? "replaced" : "wrote"} ${paths.file}\n`);
  io.stdout(installHints(command.kind, paths, { replaced, uid: io.uid }));
  return SERVICE_EXIT.ok;
}

async function uninstall(command: ServiceCommand, io: ServiceIo, paths: ServicePaths): Promise<number> {
  const { removed } = await removeServiceFile(paths);
  io.stdout(removed ? `removed ${paths.file}\n` : `nothing to remove: ${paths.file} does not exist\n`);
  io.stdout(uninstallHints(command.kind, { uid: io.uid }));
  return SERVICE_EXIT.ok;
}

async function status(command: ServiceCommand, io: ServiceIo, paths: ServicePaths): Promise<number> {
  const { text, enabled } = await readServiceFile(paths);
  io.stdout(
    `service file: ${paths.file} (${text === null ? "not installed" : enabled ? "installed, enabled" : "installed"})\n`,
  );
  // Without flags, ask the port the installed service was given.
  let options = command.options;
  const installedArgs = text === null ? null : readServiceArgs(text);
  if (!command.flagsGiven && installedArgs !== null) {
    try {
      options = parseCliArgs(installedArgs, {}, io.home);
    } catch {
      io.stderr(`warning: could not read the flags in ${paths.file}; using the defaults\n`);
    }
  }
  const url = `http://${formatUrlHost(options.host)}:${options.port}/`;
  const probe = await probeMonitorHealth(url, {
    token: options.token,
    timeoutMs: io.statusTimeoutMs ?? 5_000,
  });
  const { line, outcome } = describeHealthProbe(probe, url);
  io.stdout(line);
  return outcome === "ok"
    ? SERVICE_EXIT.ok
    : outcome === "failed"
      ? SERVICE_EXIT.failed
      : SERVICE_EXIT.notRunning;
}

/** `catalyst-monitor service …`: returns the exit code; user mistakes are one line on stderr. */
export async function runServiceCommand(argv: readonly string[], io: ServiceIo): Promise<number> {
  let command: ServiceCommand;
  try {
    command = parseServiceArgs(argv, io.env, io.home, io.platform);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return reportCliError(BIN, error, io.stderr);
  }
  if (command.action === "help") {
    io.stdout(SERVICE_HELP_TEXT);
    return SERVICE_EXIT.ok;
  }
  const paths = servicePaths(command.kind, io.env, io.home);
  try {
    switch (command.action) {
      case "print":
        io.stdout(render(command, io, paths));
        return SERVICE_EXIT.ok;
      case "install":
        return await install(command, io, paths);
      case "uninstall":
        return await uninstall(command, io, paths);
      case "status":
        return await status(command, io, paths);
    }
  } catch (error) {
    // A service file that is not ours is a usage error too (exit 2).
    const message = (error as Error).message;
    const usage = error instanceof UsageError || error instanceof ServiceFileError;
    const shown = usage ? new UsageError(message) : new Error(`service ${command.action} failed: ${message}`);
    return reportCliError(BIN, shown, io.stderr);
  }
}
