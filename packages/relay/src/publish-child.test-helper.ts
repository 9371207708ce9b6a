// A relay publisher in its own process, so a test can `kill -9` it mid-batch. Prints `started`,
// then `published <n>` as lines are acknowledged; answers `idle` on stdin with `idle` once
// everything seen is acknowledged.
// Usage: node --conditions=@catalyst/source --import tsx publish-child.test-helper.ts <url> <host> <catalyst-dir> <state-dir>
import { createRelayPublisher } from "./publisher.js";

const [url, hostName, catalystDir, stateDir] = process.argv.slice(2) as [string, string, string, string];
const publisher = createRelayPublisher({
  servers: url,
  hostName,
  catalystDir,
  stateDir,
  retryMs: 50,
  maxInFlight: 4,
});
await publisher.start();
process.stdout.write("started\n");
let last = -1;
setInterval(() => {
  const n = publisher.stats().linesPublished;
  if (n !== last) process.stdout.write(`published ${n}\n`);
  last = n;
}, 5);
process.stdin.setEncoding("utf8");
process.stdin.on("data", (text: string) => {
  if (text.includes("idle")) void publisher.idle().then(() => process.stdout.write("idle\n"));
});
