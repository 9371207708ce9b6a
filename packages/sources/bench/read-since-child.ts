// Child process of the readEvents benchmark: one clean process per measurement, so maxRSS is its own.
import { readEvents } from "../src/index.js";

const [dir, since, indexDir] = process.argv.slice(2);
const rssBefore = process.memoryUsage().rss;
const t0 = performance.now();
const it = readEvents(dir!, { since: new Date(since!), ...(indexDir ? { indexDir } : {}) });
let count = 0;
for await (const _ of it) count += 1;
const ms = performance.now() - t0;
console.log(
  JSON.stringify({
    ms,
    count,
    bytesRead: it.stats.bytesRead,
    rssBeforeMb: rssBefore / 2 ** 20,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  }),
);
