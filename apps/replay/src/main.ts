// catalyst-replay's body: parse, replay, and resolve with the exit code. Only bin.ts exits;
// importing this module runs nothing.
import { reportCliError } from "@catalyst/sources/command-line";
import packageJson from "../package.json" with { type: "json" };
import { BIN } from "./errors.js";
import { renderHelp } from "./help.js";
import { parseReplayArgs } from "./parse-args.js";
import { replay } from "./replay.js";

export { BIN } from "./errors.js";

/** Where the process talks to the world; the bin passes the real process's streams. */
export interface ReplayMainIo {
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /**
   * Called before an `--at --snapshot` fold that starts from a checkpoint: the bin tunes the
   * process's heap there (see short-fold-heap.ts); tests running main in-process leave it out.
   */
  tuneHeapForShortFold?: () => Promise<void>;
}

/** Exit code of an interrupted `--nats` read (and of a second Ctrl-C): 128 + SIGINT. */
const INTERRUPTED = 130;

/**
 * The bin's body; resolves with the exit code: 0 done (`--wait-for`: a line matched), 1 the log could not be read (or `--strict`
 * met a bad line), 2 usage error, 130 interrupted `--nats` read or a second Ctrl-C. Errors are one
 * line, `catalyst-replay: <message>`, on stderr.
 */
export async function main(argv: readonly string[], io: ReplayMainIo): Promise<number> {
  try {
    const command = parseReplayArgs(argv, { now: new Date(), env: io.env });
    if (command.kind === "help" || command.kind === "version") {
      io.stdout.write(command.kind === "help" ? renderHelp() : `catalyst-replay ${packageJson.version}\n`);
      return 0;
    }
    const controller = new AbortController();
    let forced: (code: number) => void = () => {};
    const interrupted = new Promise<number>((resolve) => {
      forced = resolve;
    });
    // --nats may spill a sort to a temp dir: Ctrl-C ends the read so that the dir is removed.
    if (command.options.follow || command.options.nats) {
      const stop = (): void => {
        // A second Ctrl-C while shutting down means "now".
        if (controller.signal.aborted) forced(INTERRUPTED);
        controller.abort();
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    }
    // --wait-for --timeout: give up after the timeout (exit 1, below).
    const timeout =
      command.options.timeoutMs === undefined
        ? null
        : setTimeout(() => controller.abort(), command.options.timeoutMs);
    const run = replay(command.options, {
      out: io.stdout,
      err: io.stderr,
      isTTY: io.stdout.isTTY === true,
      errIsTTY: io.stderr.isTTY === true,
      env: io.env,
      signal: controller.signal,
      ...(io.tuneHeapForShortFold ? { tuneHeapForShortFold: io.tuneHeapForShortFold } : {}),
    }).then((summary) => {
      if (timeout !== null) clearTimeout(timeout);
      if (command.options.waitFor && summary.printed === 0) {
        if (timeout !== null)
          io.stderr.write(`${BIN}: no matching line within ${(command.options.timeoutMs ?? 0) / 1000}s\n`);
        return 1;
      }
      // An interrupted one-shot --nats read printed part of its window; a follow ends on Ctrl-C.
      return command.options.nats && !command.options.follow && controller.signal.aborted ? INTERRUPTED : 0;
    });
    // An interrupted --nats read printed only part of the window: say so in the exit code.
    return await Promise.race([run, interrupted]);
  } catch (error) {
    // A usage error exits 2; an unreadable log, a bad line under --strict or anything else exits 1.
    return reportCliError(BIN, error, (text) => void io.stderr.write(text));
  }
}
