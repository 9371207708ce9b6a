// The bin: the only place that exits. main resolves with the exit code once the monitor has stopped.
import { ignoreBrokenStdio, main } from "./main.js";

ignoreBrokenStdio();
const code = await main(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
});
process.exit(code);
