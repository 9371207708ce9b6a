// Child process of the watch benchmark: writes signal files by tmp+rename at a fixed rate, then prints
// when each write became visible (wall-clock ms with sub-ms precision) and the final seq of each file.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

const [filesList, rateArg, secondsArg, startSeqArg] = process.argv.slice(2);
const files = JSON.parse(readFileSync(filesList!, "utf8")) as string[];
const rate = Number(rateArg);
const n = Math.round(rate * Number(secondsArg));
let seq = Number(startSeqArg);
const wallNow = () => performance.timeOrigin + performance.now();
const writes: Array<[number, number]> = [];
const finals: Record<string, number> = {};
const begin = performance.now();
for (let i = 0; i < n; i++) {
  const wait = begin + (i * 1000) / rate - performance.now();
  if (wait > 0) await sleep(wait);
  const file = files[Math.floor(Math.random() * files.length)]!;
  const s = seq++;
  writeFileSync(
    `${file}.tmp`,
    JSON.stringify({ ticket: "CTL", status: "implementing", phase: 3, seq: s }, null, 2),
  );
  renameSync(`${file}.tmp`, file);
  writes.push([s, wallNow()]);
  finals[file] = s;
}
process.stdout.write(JSON.stringify({ writes, finals, end: wallNow() }));
