// A relay publisher in its own process, so a test can `kill -9` or SIGSTOP it mid-batch. Prints
// `started`, then `published <n>` as lines are acknowledged; answers `idle` on stdin with `idle`
// once everything seen is acknowledged, and `stats` with `stats <json>` (the publisher's stats
// plus the largest queue sampled every 5 ms, overall and since the last `mark` on stdin).
// Usage: node --conditions=@catalyst/source --import tsx publish-child.test-helper.ts <url[,url...]> <host> <catalyst-dir> <state-dir> [options-json]
import { createRelayPublisher } from "./publisher.js";
import type { ChildPublisherOptions } from "./relay-hosts.test-helper.js";

const [url, hostName, catalystDir, stateDir, json] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string | undefined,
];
const extra = JSON.parse(json ?? "{}") as ChildPublisherOptions;
const publisher = createRelayPublisher({
  servers: url.split(","),
  hostName,
  catalystDir,
  stateDir,
  retryMs: 50,
  maxInFlight: 4,
  ...extra,
});
await publisher.start();
process.stdout.write("started\n");
let last = -1;
let peakQueuedChanges = 0;
let peakSinceMark = 0;
setInterval(() => {
  const s = publisher.stats();
  peakQueuedChanges = Math.max(peakQueuedChanges, s.queuedChanges);
  peakSinceMark = Math.max(peakSinceMark, s.queuedChanges);
  if (s.linesPublished !== last) process.stdout.write(`published ${s.linesPublished}\n`);
  last = s.linesPublished;
}, 5);
process.stdin.setEncoding("utf8");
process.stdin.on("data", (text: string) => {
  if (text.includes("idle")) void publisher.idle().then(() => process.stdout.write("idle\n"));
  if (text.includes("mark")) peakSinceMark = publisher.stats().queuedChanges;
  if (text.includes("stats"))
    process.stdout.write(
      `stats ${JSON.stringify({ ...publisher.stats(), peakQueuedChanges, peakSinceMark })}\n`,
    );
});
