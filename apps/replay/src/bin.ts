// The bin: the only place that exits. main resolves with the exit code.
import { main } from "./main.js";

// `catalyst-replay ... | head` closes stdout early: that is a normal end, not a crash.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  process.stderr.write(`catalyst-replay: cannot write output: ${error.message}\n`);
  process.exit(1);
});
process.stderr.on("error", () => {});

const code = await main(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  // Loaded only for --at --snapshot from a checkpoint (see short-fold-heap.ts).
  tuneHeapForShortFold: async () => {
    const { tuneHeapForShortFold } = await import("./short-fold-heap.js");
    tuneHeapForShortFold();
  },
});
// stdout may be a pipe written asynchronously: exit once what was written is out.
process.stdout.write("", () => process.exit(code));
