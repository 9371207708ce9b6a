import { ChannelConfigError, notifyTestUsage, runNotifyTest } from "@catalyst/notify-channels";
import { reportCliError, UsageError } from "@catalyst/sources/command-line";
import { formatUrlHost } from "@catalyst/sse-server";
import type { MainIo } from "../main.js";
import { parseCliArgs } from "./parse-args.js";

const USAGE = notifyTestUsage("catalyst-monitor notify test");

/** `catalyst-monitor notify test`: returns the exit code. */
export async function runNotifyCommand(argv: readonly string[], io: MainIo, home: string): Promise<number> {
  if (argv[0] === "--help" || argv[0] === "-h" || argv.length === 0) {
    (argv.length === 0 ? io.stderr : io.stdout)(USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  if (argv[0] !== "test") {
    return reportCliError(
      "catalyst-monitor",
      new UsageError(`unknown notify action ${JSON.stringify(argv[0])} (only "test"; see notify --help)`),
      io.stderr,
    );
  }
  try {
    const options = parseCliArgs(argv.slice(1), io.env, home);
    const url = `http://${formatUrlHost(options.host)}:${options.port}/`;
    const report = await runNotifyTest(options.notify, url, { env: io.env, home });
    if (report === null)
      throw new UsageError(
        "no alert channel configured (--notify-webhook, --notify-ntfy, --notify-exec, --notify-push)",
      );
    for (const line of report.lines) io.stdout(line);
    return report.code;
  } catch (error) {
    if (error instanceof UsageError || error instanceof ChannelConfigError)
      return reportCliError("catalyst-monitor", new UsageError(error.message), io.stderr);
    throw error;
  }
}
