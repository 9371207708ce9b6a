// The bin's start (dist/bin.cjs, the package's `bin`), CommonJS for the time to the first line
// (issue 25). A local `--format jsonl` query with no filter (the byte path) runs here, on a bundle
// of only what it needs: Node starts a CommonJS entry without its ES module loader (~10 ms of CPU),
// and `node:fs/promises` stays unloaded until something calls it (see bundle-plugins.ts). Every
// other command, and any command line this cannot take (a usage error, --help), imports the ES
// module bin (`./bin.js`), which parses the command line again and runs it as usual.
import { reportCliError } from "@catalyst/sources/command-line";
import { readEventBytes } from "@catalyst/sources/event-log";
import { exitWhenFlushed, guardStdio } from "./bin-io.js";
import { BIN } from "./errors.js";
import { parseReplayArgs, type ReplayOptions } from "./parse-args.js";
import { assertDirectory, isBytesQuery, replayBytes } from "./replay-bytes.js";

function bytesQuery(argv: readonly string[]): ReplayOptions | null {
  try {
    const command = parseReplayArgs(argv, { now: new Date(), env: process.env });
    return command.kind === "replay" && isBytesQuery(command.options) ? command.options : null;
  } catch {
    return null; // the ES bin reports it
  }
}

async function run(options: ReplayOptions): Promise<number> {
  try {
    assertDirectory(options.dir);
    await replayBytes(
      options,
      {
        out: process.stdout,
        err: process.stderr,
        isTTY: process.stdout.isTTY === true,
        errIsTTY: process.stderr.isTTY === true,
        env: process.env,
      },
      { readEventBytes },
    );
    return 0;
  } catch (error) {
    return reportCliError(BIN, error, (text) => void process.stderr.write(text));
  }
}

const options = bytesQuery(process.argv.slice(2));
if (options === null) {
  void import("./bin.js");
} else {
  guardStdio();
  void run(options).then(exitWhenFlushed);
}
