// P11 part: when the central's first load of the state KV knows it has every value (issue 28). An
// ordered last-per-subject read of a bucket whose keys are being written (heartbeats every 200 ms
// here) against the two ends: the first value at or after the bucket's last sequence when the load
// looked (what the consumer now stops at), and the broker's pending count reaching 0 (what it
// stopped at before: at 20,000 workers P11's central waited 34 s with every value in).
// cd packages/relay && node --conditions=@catalyst/source --import tsx bench/kv-load-end.ts [keys 5000]
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNatsServer } from "@catalyst/test-utils";
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";

const KEYS = Number(process.argv[2] ?? 5000);
const root = await mkdtemp(join(tmpdir(), "kv-load-end-"));
const server = await startNatsServer(join(root, "store"));
const nc = await connect({ servers: server.url });
const js = jetstream(nc, { timeout: 20_000 });
const kv = await new Kvm(js).create("bench", { history: 1 });
const value = JSON.stringify({ result: { x: "y".repeat(300) } });
for (let i = 0; i < KEYS; i += 500) {
  const puts: Promise<unknown>[] = [];
  for (let j = i; j < Math.min(KEYS, i + 500); j++) puts.push(kv.put(`h${j % 10}.o${j % 40}.t${j}`, value));
  await Promise.all(puts);
}
let beat = 0;
const timer = setInterval(() => {
  for (let h = 0; h < 10; h++) kv.put(`h${h}.=host`, String(beat++)).catch(() => {});
}, 200);
const nc2 = await connect({ servers: server.url });
const js2 = jetstream(nc2, { timeout: 20_000 });
const jsm = await jetstreamManager(nc2);
for (let run = 0; run < 4; run++) {
  const t0 = performance.now();
  const last = (await jsm.streams.info("KV_bench")).state.last_seq;
  const c = await js2.consumers.get("KV_bench", { deliver_policy: DeliverPolicy.LastPerSubject });
  const it = await c.consume({ max_messages: 1000 });
  let n = 0;
  let atLast = -1;
  for await (const m of it) {
    n++;
    if (atLast < 0 && m.seq >= last) atLast = performance.now() - t0;
    if (m.info.pending === 0) break;
    if (performance.now() - t0 > 20000) {
      console.log("gave up, pending", m.info.pending);
      break;
    }
  }
  await it.close();
  console.log(
    `run ${run}: ${n} values; seq>=last after ${atLast.toFixed(0)} ms; pending 0 after ${(performance.now() - t0).toFixed(0)} ms`,
  );
}
clearInterval(timer);
await nc.close();
await nc2.close();
await server.kill();
await rm(root, { recursive: true, force: true });
