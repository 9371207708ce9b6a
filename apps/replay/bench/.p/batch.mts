import { importState, reduce, toSnapshot } from "@catalyst/fuse";
import { readEvents, readLogLayout } from "@catalyst/sources/event-log";
import { checkpointDir, findCheckpoint } from "../../../../packages/engine/src/fold-checkpoints.ts";

const [dir, cache, atText] = process.argv.slice(2);
const at = new Date(atText!);
const layout = await readLogLayout(dir!, { indexDir: cache });
const all: any[] = [];
let t0 = 0;
{
  const cp = await findCheckpoint(checkpointDir(cache!, dir!), at.getTime(), layout);
  t0 = cp!.atMs;
}
for await (const r of readEvents(dir!, {
  since: new Date(t0 + 1),
  until: new Date(at.getTime() + 1),
  indexDir: cache,
}))
  all.push(r);
for (const size of [512, 4096, 512, 16384, 128]) {
  let state = (await findCheckpoint(checkpointDir(cache!, dir!), at.getTime(), layout))!.state;
  const c0 = process.cpuUsage();
  for (let i = 0; i < all.length; i += size)
    state = reduce(state, { kind: "log-lines", records: all.slice(i, i + size), replayed: true }, at).state;
  const c1 = process.cpuUsage(c0);
  state = reduce(state, { kind: "tick" }, at).state;
  const c2 = process.cpuUsage(c0);
  const snap = toSnapshot(state, at);
  const c3 = process.cpuUsage(c0);
  console.log(
    size,
    all.length,
    "reduce",
    ((c1.user + c1.system) / 1000).toFixed(0),
    "tick",
    ((c2.user + c2.system - c1.user - c1.system) / 1000).toFixed(0),
    "toSnapshot",
    ((c3.user + c3.system - c2.user - c2.system) / 1000).toFixed(0),
  );
}
