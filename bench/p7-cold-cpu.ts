// Issue 26, cold start on a loaded box: the busy-operator fleet's start-up as the monitor's own CPU
// time (utime + stime from /proc, which other processes on the box inflate far less than the wall
// clock), next to the wall time, the worst event-loop delay and RSS. Compare two builds in turn:
//
//   node --import tsx bench/p7-cold-cpu.ts [--workers 10000] [--runs 3] [--bin a.js,b.js]
//                                          [--node-args "--cpu-prof --cpu-prof-dir=/tmp/p"]
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { countWorkers, getText, writeBusyFleet } from "./p7-scale.ts";
import { load, ROOT, sleep, startListening } from "./support.ts";

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const workers = Number(arg("workers", "10000"));
const runs = Number(arg("runs", "3"));
const bins = arg("bin", join(ROOT, "apps/monitor/dist/bin.js")).split(",");
const nodeArgs = arg("node-args", "")
  .split(" ")
  .filter((a) => a !== "");
const TICKS = 100; // USER_HZ on Linux

function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS;
}
function status(pid: number, key: string): number {
  const m = new RegExp(`${key}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

const dir = await mkdtemp(join(tmpdir(), "p7-cold-cpu-"));
try {
  await writeBusyFleet(dir, workers);
  for (let run = 1; run <= runs; run++) {
    for (const bin of bins) {
      const t0 = performance.now();
      const server = await startListening([...nodeArgs, bin, "--dir", dir, "--port", "0"], {
        timeoutMs: 120_000,
      });
      const pid = server.child.pid!;
      let worstWait = 0;
      let cold = Number.NaN;
      for (;;) {
        const res = await getText(`${server.url}api/snapshot`);
        const loading = res.text.includes('"loading":{');
        if (loading) worstWait = Math.max(worstWait, res.ms);
        if (!loading && countWorkers(res.text) >= workers) {
          cold = performance.now() - t0;
          break;
        }
        await sleep(20);
      }
      const cpu = cpuMs(pid);
      const health = JSON.parse((await getText(`${server.url}healthz`)).text) as {
        eventLoopDelayMs?: { max?: number };
      };
      console.log(
        `${bin.replace(ROOT, "")} run ${run}: cold ${cold.toFixed(0)} ms, CPU ${cpu.toFixed(0)} ms, loop ${health.eventLoopDelayMs?.max ?? "?"} ms, worst /api ${worstWait.toFixed(0)} ms, RSS ${status(pid, "VmRSS").toFixed(0)} MB (peak ${status(pid, "VmHWM").toFixed(0)}), load ${load()}`,
      );
      await server.stop();
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
