import {
  ChannelConfigError,
  hasNotifyChannels,
  NOTIFY_HELP,
  resolveConfigDir,
  sendTestAlert,
} from "@catalyst/notify-channels";
import { reportCliError, UsageError } from "@catalyst/sources/command-line";
import { formatUrlHost } from "@catalyst/sse-server";
import type { MainIo } from "../main.js";
import { parseCliArgs } from "./parse-args.js";

const USAGE = `Usage: catalyst-monitor notify test [--notify-* ...] [monitor flags]

Sends one test alert through every channel the flags (and CATALYST_NOTIFY_* variables) configure,
now, and says which worked. Exit codes: 0 every channel took it, 1 one or more failed, 2 bad usage
or no channel configured.

${NOTIFY_HELP}`;

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
    if (!hasNotifyChannels(options.notify))
      throw new UsageError(
        "no alert channel configured (--notify-webhook, --notify-ntfy, --notify-exec, --notify-push)",
      );
    const url = `http://${formatUrlHost(options.host)}:${options.port}/`;
    const results = await sendTestAlert(options.notify, url, {
      configDir: resolveConfigDir(io.env, home),
      allowHttpPushLoopback: io.env.CATALYST_NOTIFY_PUSH_ALLOW_HTTP_LOOPBACK === "1",
    });
    for (const r of results) io.stdout(r.ok ? `ok      ${r.channel}\n` : `FAILED  ${r.error}\n`);
    const failed = results.filter((r) => !r.ok).length;
    io.stdout(
      failed === 0
        ? `test alert sent through ${results.length} channel(s)\n`
        : `${failed} of ${results.length} channel(s) failed\n`,
    );
    return failed === 0 ? 0 : 1;
  } catch (error) {
    if (error instanceof UsageError || error instanceof ChannelConfigError)
      return reportCliError("catalyst-monitor", new UsageError(error.message), io.stderr);
    throw error;
  }
}
