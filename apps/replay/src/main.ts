import packageJson from "../package.json" with { type: "json" };
import { MalformedLineError, ReplayReadError, UnreadableFilesError, UsageError } from "./errors.js";
import { renderHelp } from "./help.js";
import { parseReplayArgs } from "./parse-args.js";
import { replay } from "./replay.js";

// `catalyst-replay ... | head` closes stdout early: that is a normal end, not a crash.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  process.stderr.write(`catalyst-replay: cannot write output: ${error.message}\n`);
  process.exit(1);
});
process.stderr.on("error", () => {});

process.exitCode = await runMain(process.argv.slice(2));

async function runMain(argv: string[]): Promise<number> {
  try {
    const command = parseReplayArgs(argv, { now: new Date(), env: process.env });
    if (command.kind === "help") {
      process.stdout.write(renderHelp());
      return 0;
    }
    if (command.kind === "version") {
      process.stdout.write(`catalyst-replay ${packageJson.version}\n`);
      return 0;
    }
    const controller = new AbortController();
    // --nats may spill a sort to a temp dir: Ctrl-C ends the read so that the dir is removed.
    if (command.options.follow || command.options.nats) {
      const stop = (): void => {
        // A second Ctrl-C while shutting down means "now".
        if (controller.signal.aborted) process.exit(130);
        controller.abort();
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    }
    await replay(command.options, {
      out: process.stdout,
      err: process.stderr,
      isTTY: process.stdout.isTTY === true,
      errIsTTY: process.stderr.isTTY === true,
      env: process.env,
      signal: controller.signal,
    });
    // An interrupted --nats read printed only part of the window: say so in the exit code.
    return command.options.nats && controller.signal.aborted ? 130 : 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`catalyst-replay: ${error.message}\n`);
      return 2;
    }
    if (
      error instanceof ReplayReadError ||
      error instanceof MalformedLineError ||
      error instanceof UnreadableFilesError
    ) {
      process.stderr.write(`catalyst-replay: ${error.message}\n`);
      return 1;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`catalyst-replay: ${message}\n`);
    return 1;
  }
}
