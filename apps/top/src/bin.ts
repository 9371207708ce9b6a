import { main } from "./main.js";

const code = await main(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: (text) => void process.stderr.write(text),
  stdin: process.stdin,
});
// Pollers, watchers and sockets are stopped; exit without waiting for stray handles.
process.exit(code);
