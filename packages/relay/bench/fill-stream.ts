// A fast fill of the event stream for the read benches (P11b at ≥ 2 M lines): each host's
// `events/*.jsonl` published straight to the stream as its relay publisher would (the same
// subjects, messages and ids) and indexed by the publisher's own time-index writer, but as core
// NATS publishes without an ack each (a publisher's acked publishes went at 3–4k lines/s on the
// shared box), and no watcher, tailer or cursors. What it leaves on the broker
// is what the publisher leaves for those lines (the stream and `catalyst-index`), not the KV state.
//
//   node --conditions=@catalyst/source --import tsx packages/relay/bench/fill-stream.ts <servers> <host>=<dir> …
// Prints `filled <lines> <ms>` when done.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { headers } from "@nats-io/transport-node";
import { openBroker } from "../src/broker.js";
import { eventSubjectOf, messageIdOf } from "../src/keys.js";
import { resolveNames } from "../src/names.js";
import { createTimeIndexWriter, type IndexedLine } from "../src/time-index.js";
import type { LogMessage } from "../src/wire.js";

const IN_FLIGHT = 4096;
const [servers, ...pairs] = process.argv.slice(2);
if (!servers || pairs.length === 0) {
  console.error("usage: fill-stream.ts <servers> <host>=<dir> …");
  process.exit(2);
}
const names = resolveNames({});
const broker = await openBroker({ servers }, names);
const t0 = performance.now();
let total = 0;

/**
 * One host's files, in order, as core NATS publishes (no ack per message: the stream stores them in
 * the order sent), each line's stream sequence counted from the stream's last one before; a flush
 * every IN_FLIGHT lines, then the window is indexed. Hosts go one after another (one connection,
 * nothing else publishing), and the stream's last sequence is checked against the count at the end.
 */
async function fillHost(host: string, dir: string): Promise<void> {
  const index = createTimeIndexWriter(broker, names, host, { servers });
  await index.open();
  const files = (await readdir(join(dir, "events"))).filter((f) => f.endsWith(".jsonl")).sort();
  let seq = (await broker.jsm.streams.info(names.stream)).state.last_seq;
  let window: IndexedLine[] = [];
  const flush = async (): Promise<void> => {
    await broker.nc.flush();
    await index.note(window);
    total += window.length;
    window = [];
  };
  for (const name of files) {
    const file = `events/${name}`;
    const text = await readFile(join(dir, file), "utf8");
    let offset = 0;
    for (const line of text.split("\n")) {
      if (line === "") {
        offset += 1;
        continue;
      }
      const event = JSON.parse(line) as { ts: string; orchestrator?: string | null };
      const msg: LogMessage = { host, file, generation: 0, offset, text: line };
      const h = headers();
      h.set("Nats-Msg-Id", messageIdOf(host, file, 0, offset));
      broker.nc.publish(
        eventSubjectOf(names.subjectPrefix, host, event.orchestrator ?? null),
        JSON.stringify(msg),
        {
          headers: h,
        },
      );
      window.push({ seq: ++seq, tsMs: Date.parse(event.ts) });
      offset += Buffer.byteLength(line) + 1;
      if (window.length >= IN_FLIGHT) await flush();
    }
  }
  if (window.length > 0) await flush();
  await index.flush();
  // Every line stored, in the order sent: else the sequences indexed above are wrong.
  for (let tries = 0; ; tries++) {
    const last = (await broker.jsm.streams.info(names.stream)).state.last_seq;
    if (last === seq) break;
    if (tries > 50)
      throw new Error(
        `the stream's last sequence is ${last}, expected ${seq}: a line was lost or another publisher wrote`,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

try {
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    await fillHost(pair.slice(0, at), pair.slice(at + 1));
  }
  console.log(`filled ${total} ${Math.round(performance.now() - t0)}`);
} finally {
  await broker.nc.close();
}
