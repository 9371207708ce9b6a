// P11's simulated hosts, in one process apart from the bench's measuring one: for each host, a relay
// publisher of its catalyst dir and a pid liveness poller whose answers it relays (as
// `catalyst-monitor --publish` wires them). Prints `ready` once every host's files and answers are
// acknowledged by the broker; stops on SIGTERM. With `trace` set, the stages of each write's way out
// (the watcher's and the publisher's on the `catalyst:stage` channel, written as the monitor's
// CATALYST_MONITOR_TRACE writes them), GC pauses and every
// event-loop stall over 20 ms (`lag`) go to that file as JSON lines.
//
//   node --conditions=@catalyst/source --import tsx bench/p11-hosts-child.ts <config.json>

import { channel } from "node:diagnostics_channel";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PerformanceObserver } from "node:perf_hooks";
import { createLivenessPoller } from "../packages/pollers/src/index.ts";
import { createRelayPublisher } from "../packages/relay/src/index.ts";

interface Config {
  servers: string;
  root: string;
  hosts: string[];
  /** Per host: the workers to check, with their pids. */
  targets: Array<Array<{ orchestrator: string; worker: string; pid: number; startedAt: string }>>;
  livenessMs: number;
  /** A file for the stage trace; none by default. */
  trace?: string;
}

const config = JSON.parse(readFileSync(process.argv[2] ?? "", "utf8")) as Config;
/** The stage trace: JSON lines stamped with the epoch time in ms, written out every second. */
function startTrace(file: string): { stop(): void } {
  writeFileSync(file, "");
  let held: string[] = [];
  const flush = () => {
    if (held.length > 0) appendFileSync(file, `${held.join("\n")}\n`);
    held = [];
  };
  const onStage = (message: unknown) => {
    // Bounded: a trace that cannot keep up drops lines rather than grow without end.
    if (held.length < 200_000)
      held.push(
        JSON.stringify({
          t: Number((performance.timeOrigin + performance.now()).toFixed(3)),
          ...(message as object),
        }),
      );
  };
  channel("catalyst:stage").subscribe(onStage);
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) onStage({ stage: "gc", ms: Number(entry.duration.toFixed(3)) });
  });
  gc.observe({ entryTypes: ["gc"] });
  const timer = setInterval(flush, 1000);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      gc.disconnect();
      channel("catalyst:stage").unsubscribe(onStage);
      flush();
    },
  };
}

const trace = config.trace === undefined ? null : startTrace(config.trace);
if (trace !== null) {
  // Event-loop stalls: a 10 ms timer that fired late by more than 20 ms (a pid sweep, a rescan
  // slice, a GC pause: whatever held the loop while a write waited).
  const stages = channel("catalyst:stage");
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  setInterval(() => {
    const now = performance.now();
    const cpu = process.cpuUsage();
    // The process's own CPU time over the stall: near its length, the loop was busy (our work or
    // GC); far below it, the process waited for a core (the box's load).
    if (now - last > 30) {
      const used = (cpu.user + cpu.system - lastCpu.user - lastCpu.system) / 1000;
      stages.publish({
        stage: "lag",
        ms: Number((now - last - 10).toFixed(1)),
        cpu: Number(used.toFixed(1)),
      });
    }
    last = now;
    lastCpu = cpu;
  }, 10).unref();
}
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
  trace?.stop();
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
