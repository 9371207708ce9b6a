// P11's stamp watcher, a process apart (it reads the relay from source): a bare KV watcher of the
// broker's state bucket that prints, for every signal put carrying `"error":"seq-N"`, the broker's
// stamp on the put and when this process got it, both wall clock in ms (`N created received`).
// Prints `watching` once the watch is set up; stops on SIGTERM.
//
//   node --conditions=@catalyst/source --import tsx bench/p11-stamps-child.ts <nats-url>
import { openBroker, resolveNames } from "../packages/relay/src/index.ts";

const broker = await openBroker({ servers: process.argv[2] ?? "" }, resolveNames());
const watch = await broker.kv.watch({ key: ">", include: "updates" });
process.stdout.write("watching\n");
const stop = (): void => {
  watch.stop();
  void broker.nc.close().finally(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
for await (const e of watch) {
  const received = performance.timeOrigin + performance.now();
  if (e.operation !== "PUT" || !e.key.includes("P11-")) continue;
  const m = /"error":"seq-(\d+)"/.exec(e.string());
  if (m) process.stdout.write(`${m[1]} ${e.created.getTime()} ${received.toFixed(2)}\n`);
}
