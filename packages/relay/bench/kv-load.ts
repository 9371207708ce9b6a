// P11 part: how long the central's initial load of the state KV takes at fleet size, watch vs. an
// ordered pull of the bucket's stream (last value per key). One nats-server, N keys of ~300 bytes.
// cd packages/relay && node --conditions=@catalyst/source --import tsx bench/kv-load.ts [--keys 100000] [--runs 3] [--pull 10000]
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startNatsServer } from "@catalyst/test-utils";
import { loadNote } from "@catalyst/test-utils/bench";
import { DeliverPolicy, jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";

const { values } = parseArgs({
  options: { keys: { type: "string" }, runs: { type: "string" }, pull: { type: "string" } },
});
const KEYS = Number(values.keys ?? 100_000);
const RUNS = Number(values.runs ?? 3);
const root = await mkdtemp(join(tmpdir(), "p11-kv-"));
const server = await startNatsServer(join(root, "store"));
const before = loadNote();
try {
  const nc = await connect({ servers: server.url });
  const js = jetstream(nc, { timeout: 20_000 });
  const kv = await new Kvm(js).create("bench", { history: 1 });
  const value = JSON.stringify({
    host: "h",
    kind: "signal",
    orchestrator: "o",
    key: "k",
    file: "f",
    result: { x: "y".repeat(200) },
  });
  const t0 = Date.now();
  for (let i = 0; i < KEYS; i += 500) {
    const puts: Promise<unknown>[] = [];
    for (let j = i; j < Math.min(KEYS, i + 500); j++) puts.push(kv.put(`h${j % 25}.o${j % 40}.t${j}`, value));
    await Promise.all(puts);
  }
  console.log(`filled ${KEYS} keys in ${Date.now() - t0} ms`);
  const watchMs: number[] = [];
  const pullMs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    {
      const t = Date.now();
      let n = 0;
      const w = await kv.watch({ key: ">" });
      for await (const e of w) {
        n++;
        e.json();
        if (e.isUpdate) break;
      }
      w.stop();
      watchMs.push(Date.now() - t);
      if (n !== KEYS) console.log(`watch saw ${n}`);
    }
    {
      const t = Date.now();
      let n = 0;
      const c = await js.consumers.get("KV_bench", { deliver_policy: DeliverPolicy.LastPerSubject });
      const it = await c.consume({ max_messages: Number(values.pull ?? 2000) });
      for await (const m of it) {
        n++;
        m.json();
        if (m.info.pending === 0) break;
      }
      await it.close();
      pullMs.push(Date.now() - t);
      if (n !== KEYS) console.log(`pull saw ${n}`);
    }
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  console.log(`watch: median ${med(watchMs)} ms (${watchMs.join(", ")})`);
  console.log(`ordered pull, last per subject: median ${med(pullMs)} ms (${pullMs.join(", ")})`);
  console.log(`load before: ${before}; after: ${loadNote()}`);
  await nc.close();
} finally {
  await server.kill();
  await rm(root, { recursive: true, force: true });
}
