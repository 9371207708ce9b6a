// The bin: the only place that exits. main resolves with the exit code.
import { hideCiFromInk } from "./ink-env.js";

// On a terminal, draw live even where CI is set: Ink reads it once, when main (and Ink) load.
const restoreCi = process.stdout.isTTY ? hideCiFromInk(process.env) : () => {};
const { main } = await import("./main.js");
restoreCi();

const code = await main(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: (text) => void process.stderr.write(text),
  stdin: process.stdin,
});
// Pollers, watchers and sockets are stopped; exit without waiting for stray handles.
process.exit(code);
