// P11's simulated hosts, in one process apart from the bench's measuring one: for each host, a relay
// publisher of its catalyst dir and a pid liveness poller whose answers it relays (as
// `catalyst-monitor --publish` wires them). Prints `ready` once every host's files and answers are
// acknowledged by the broker; stops on SIGTERM.
//
//   node --conditions=@catalyst/source --import tsx bench/p11-hosts-child.ts <config.json>
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createLivenessPoller } from "../packages/pollers/src/index.ts";
import { createRelayPublisher } from "../packages/relay/src/index.ts";

interface Config {
  servers: string;
  root: string;
  hosts: string[];
  /** Per host: the workers to check, with their pids. */
  targets: Array<Array<{ orchestrator: string; worker: string; pid: number; startedAt: string }>>;
  livenessMs: number;
}

const config = JSON.parse(readFileSync(process.argv[2] ?? "", "utf8")) as Config;
const stops: Array<() => Promise<void>> = [];
const publishers = config.hosts.map((host) =>
  createRelayPublisher({
    servers: config.servers,
    hostName: host,
    catalystDir: join(config.root, host),
    stateDir: join(config.root, "state"),
  }),
);
const began = performance.now();
for (const [h, publisher] of publishers.entries()) {
  await publisher.start();
  process.stderr.write(
    `P11 host ${config.hosts[h]} scanning after ${Math.round(performance.now() - began)} ms\n`,
  );
  const poller = createLivenessPoller({ intervalMs: config.livenessMs, firstCheckDelayMs: 10 });
  poller.subscribe((reports) => publisher.publishLiveness(reports));
  poller.track(config.targets[h] ?? []);
  publisher.publishLiveness(poller.checkNow());
  poller.start();
  stops.push(async () => {
    await poller.stop();
    await publisher.stop();
  });
}
await Promise.all(publishers.map((p) => p.idle()));
const puts = publishers.reduce((n, p) => n + p.stats().livenessPuts, 0);
process.stderr.write(`P11 hosts idle after ${Math.round(performance.now() - began)} ms\n`);
process.stdout.write(`ready ${puts}\n`);

const stop = async () => {
  await Promise.allSettled(stops.map((s) => s()));
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
