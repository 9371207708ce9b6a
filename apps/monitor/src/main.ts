// catalyst-monitor's body: parse, start, print the URL, and on SIGINT/SIGTERM stop and resolve
// with the exit code. Only bin.ts exits; importing this module runs nothing.
import { realpathSync } from "node:fs";
import { homedir } from "node:os";
import { reportCliError, resolvesInsideDir, UsageError } from "@catalyst/sources/command-line";
import { HELP_TEXT } from "./cli/help-text.js";
import { runHostsCommand } from "./cli/hosts-command.js";
import { runNotifyCommand } from "./cli/notify-command.js";
import { type CliOptions, parseCliArgs } from "./cli/parse-args.js";
import { runServiceCommand } from "./cli/service-command.js";
import { PidFileError, PortInUseError } from "./errors.js";
import { createLogger } from "./logger.js";
import { type MainIo, type RunningMonitor, readVersion, startMonitor } from "./start.js";

export type { MainIo, RunningMonitor } from "./start.js";
export { readVersion, startMonitor } from "./start.js";

/** The prefix of every error line (`catalyst-monitor: <message>`). */
export const BIN = "catalyst-monitor";

/**
 * The monitor never writes inside the catalyst dir (issue 7, B6). The parser already refuses a path
 * that is inside by name; this checks where the write would really land (symlinks, `..`).
 */
export async function assertPidFileOutside(pidFile: string, catalystDir: string): Promise<void> {
  const { inside, target, realDir } = await resolvesInsideDir(pidFile, catalystDir);
  if (inside)
    throw new UsageError(
      `--pid-file ${pidFile} resolves to ${target}, inside the catalyst dir ${realDir}; the monitor never writes there`,
    );
}

/** The running script with symlinks resolved (npm's `bin/catalyst-monitor` links to `dist/bin.js`). */
function realBinPath(script: string): string {
  try {
    return realpathSync(script);
  } catch {
    return script;
  }
}

/** Exit budget after SIGINT/SIGTERM (the issue asks for under 1 s). */
const SHUTDOWN_BUDGET_MS = 900;

/**
 * Signals that stop the monitor cleanly (log line, pid file removed, exit 0). SIGQUIT and SIGUSR2
 * would otherwise kill it without either; SIGUSR1 is left to Node (it starts the inspector).
 */
export const TERMINATING_SIGNALS = ["SIGINT", "SIGTERM", "SIGQUIT", "SIGUSR2"] as const;

/** Parses argv and env; a mistake (flags, or a pid file that would land in the catalyst dir) throws UsageError. */
async function readOptions(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<CliOptions> {
  const options = parseCliArgs(argv, env, homedir());
  if (options.pidFile !== null && !options.demo && !options.help && !options.version)
    await assertPidFileOutside(options.pidFile, options.dir);
  return options;
}

/**
 * The bin's body; resolves with the exit code: 0 after a clean stop (or --help, --version), 1 when
 * the monitor could not start, 2 for a usage error (`catalyst-monitor: <message>` on stderr).
 */
export async function main(argv: readonly string[], io: MainIo): Promise<number> {
  if (argv[0] === "notify") return runNotifyCommand(argv.slice(1), io, homedir());
  if (argv[0] === "hosts") return runHostsCommand(argv.slice(1), io);
  if (argv[0] === "service")
    return runServiceCommand(argv.slice(1), {
      ...io,
      home: homedir(),
      platform: process.platform,
      execPath: process.execPath,
      binPath: realBinPath(process.argv[1] ?? ""),
      uid: process.getuid?.() ?? 0,
      version: readVersion(),
    });
  let options: CliOptions;
  try {
    options = await readOptions(argv, io.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return reportCliError(BIN, error, io.stderr);
  }
  if (options.help || options.version) {
    io.stdout(options.help ? HELP_TEXT : `${readVersion()}\n`);
    return 0;
  }
  const logger = createLogger({
    format: options.logFormat,
    debug: io.env.CATALYST_MONITOR_DEBUG === "1",
    write: io.stderr,
  });
  for (const warning of options.warnings) logger.warn(warning);

  let running: RunningMonitor;
  try {
    running = await startMonitor(options, io, logger);
  } catch (error) {
    const known =
      error instanceof PortInUseError || error instanceof PidFileError || error instanceof UsageError;
    const message = `could not start: ${error instanceof Error ? error.message : String(error)}`;
    return reportCliError(BIN, known ? error : new Error(message), io.stderr);
  }
  io.stdout(`catalyst-monitor listening on ${running.url}\n`);

  // SIGHUP: the daemon convention (log rotation, a terminal gone away) is "reopen and carry on".
  process.on("SIGHUP", () => {
    logger.info("SIGHUP: re-opening log files and rescanning the catalyst dir");
    running.reopen();
  });
  // The handlers stay: a second signal while stopping is ignored, not the default kill.
  const signal = await new Promise<string>((resolve) => {
    for (const name of TERMINATING_SIGNALS) process.on(name, () => resolve(name));
  });
  logger.info("shutting down", { signal });
  const budget = new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_BUDGET_MS).unref());
  await Promise.race([running.stop(), budget]);
  return 0;
}

/**
 * A daemon's stdout or stderr reader may go away (a closed pipe, a log shipper restarting): the
 * write then fails with EPIPE, which must not kill the process. Other stream errors are dropped the
 * same way; there is nowhere left to report them.
 */
export function ignoreBrokenStdio(): void {
  for (const stream of [process.stdout, process.stderr]) stream.on("error", () => {});
}
