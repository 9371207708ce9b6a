import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { createInitialState, importState, reduce, toSnapshot } from "@catalyst/fuse";
import { readEvents, readLogLayout } from "@catalyst/sources/event-log";
import { checkpointDir } from "../../../../packages/engine/src/fold-checkpoints.ts";

const [dir, cache, atText] = process.argv.slice(2);
const at = new Date(atText!);
let c0 = process.cpuUsage();
let w0 = performance.now();
const step = (name: string) => {
  const c = process.cpuUsage(c0);
  const m = process.memoryUsage();
  console.log(
    `${name.padEnd(22)} cpu ${((c.user + c.system) / 1000).toFixed(0).padStart(5)} ms wall ${(performance.now() - w0).toFixed(0).padStart(5)} ms rss ${(m.rss / 1e6).toFixed(0)} MB heap ${(m.heapUsed / 1e6).toFixed(0)} ext ${(m.external / 1e6).toFixed(0)} ab ${(m.arrayBuffers / 1e6).toFixed(0)}`,
  );
  c0 = process.cpuUsage();
  w0 = performance.now();
};
step("start");
const layout = await readLogLayout(dir!, { indexDir: cache });
step("layout");
const cps = checkpointDir(cache!, dir!);
const times = (await readdir(cps))
  .map((n) => Number.parseInt(n, 10))
  .filter((t) => t <= at.getTime())
  .sort((a, b) => b - a);
const gz = await readFile(join(cps, `${times[0]}.json.gz`));
step(`read ${(gz.length / 1e6).toFixed(1)}MB`);
const raw = gunzipSync(gz);
step(`gunzip ${(raw.length / 1e6).toFixed(1)}MB`);
const text = raw.toString("utf8");
step("toString");
let cp = JSON.parse(text) as any;
step("JSON.parse");
let state = importState(cp.state, { adopt: true });
cp = null;
step("importState");
const records = readEvents(dir!, {
  since: new Date(times[0]! + 1),
  until: new Date(at.getTime() + 1),
  indexDir: cache,
});
let n = 0;
const batch: any[] = [];
const all: any[] = [];
for await (const r of records) {
  all.push(r);
  n++;
}
step(`read+parse ${n} lines`);
for (let i = 0; i < all.length; i += 512)
  state = reduce(state, { kind: "log-lines", records: all.slice(i, i + 512), replayed: true }, at).state;
step("reduce");
state = reduce(state, { kind: "tick" }, at).state;
step("tick");
const snap = toSnapshot(state, at);
step("toSnapshot");
const out = JSON.stringify(snap);
step(`stringify ${(out.length / 1e6).toFixed(1)}MB`);
const json = JSON.stringify(state);
step(`stringify state ${(json.length / 1e6).toFixed(1)}MB`);
