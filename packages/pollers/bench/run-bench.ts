// Pollers benchmark: GitHub requests and rate-limit points per hour for 200 open PRs (measured
// against the fake GitHub server with the real Octokit), and the cost of one liveness sweep of
// 2,000 pids (real processes). Run with `pnpm --filter @catalyst/pollers bench`.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { availableParallelism, totalmem } from "node:os";
import { startFakeGithub } from "@catalyst/test-utils/fake-github";
import { createLivenessPoller, createPrPoller } from "../src/index.js";

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};
const TICKS_PER_HOUR = 3_600_000 / 30_000;

async function benchGithub() {
  const token = "ghp_benchToken0000000000000000000000000";
  const github = await startFakeGithub(token);
  const refs = Array.from({ length: 200 }, (_, i) => ({ repo: `acme/svc-${i % 10}`, number: 100 + i }));
  for (const ref of refs) {
    github.setPr({
      ...ref,
      state: "OPEN",
      rollupState: "SUCCESS",
      checks: Array.from({ length: 6 }, () => ({
        __typename: "CheckRun" as const,
        status: "COMPLETED",
        conclusion: "SUCCESS",
      })),
    });
  }
  const poller = createPrPoller({ token, baseUrl: github.url, minQueryGapMs: 0 });
  poller.track(refs);
  const ticks = 10;
  const times: number[] = [];
  for (let i = 0; i < ticks; i++) {
    const t0 = performance.now();
    await poller.pollNow();
    times.push(performance.now() - t0);
  }
  const requestsPerTick = poller.stats().requests / ticks;
  const points = poller.stats().points;
  await poller.stop();
  await github.close();
  return {
    requestsPerTick,
    pointsPerTick: points / ticks,
    requestsPerHour: requestsPerTick * TICKS_PER_HOUR,
    pointsPerHour: (points / ticks) * TICKS_PER_HOUR,
    tickMsMedian: median(times),
  };
}

async function benchLiveness(count: number) {
  // One shell starts `count` sleepers in its own process group and prints their pids.
  const shell = spawn(
    "sh",
    ["-c", `i=0; while [ $i -lt ${count} ]; do sleep 600 & echo $!; i=$((i+1)); done; wait`],
    {
      stdio: ["ignore", "pipe", "ignore"],
      detached: true,
    },
  );
  const pids: number[] = [];
  let buffer = "";
  shell.stdout.setEncoding("utf8");
  shell.stdout.on("data", (chunk: string) => {
    buffer += chunk;
    const lines = buffer.split("\n");
    buffer = lines.pop() ?? "";
    for (const line of lines) if (line.trim()) pids.push(Number(line));
  });
  const deadline = Date.now() + 120_000;
  while (pids.length < count) {
    if (Date.now() > deadline) throw new Error("sleepers did not start");
    await new Promise((r) => setTimeout(r, 50));
  }
  const startedAt = new Date(Date.now() - 10_000).toISOString();
  const targets = pids.map((pid, i) => ({ orchestrator: "bench", worker: `W-${i}`, pid, startedAt }));
  const poller = createLivenessPoller();
  poller.track(targets);
  const sweep = (runs: number) => {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const results = poller.checkNow();
      times.push(performance.now() - t0);
      if (results.length !== count) throw new Error("wrong result count");
    }
    return times;
  };
  sweep(2); // warm-up
  const alive = sweep(15);
  const aliveCount = poller.checkNow().filter((r) => r.result.alive === true).length;
  const exited = once(shell, "exit");
  process.kill(-(shell.pid as number), "SIGKILL");
  await exited;
  // Wait until the sleepers are gone (reaped by init once their shell died).
  while (poller.checkNow().some((r) => r.result.alive === true)) await new Promise((r) => setTimeout(r, 50));
  const dead = sweep(15);
  await poller.stop();
  return { aliveCount, aliveMsMedian: median(alive), deadMsMedian: median(dead) };
}

const gh = await benchGithub();
const live = await benchLiveness(2_000);
const machine = `${availableParallelism()} cores, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${process.platform}`;
console.log(`Machine: ${machine}; date ${new Date().toISOString().slice(0, 10)}`);
console.log(
  `GitHub, 200 open PRs (10 repos, 6 checks each), 30 s ticks: ${gh.requestsPerTick} requests/tick, ${gh.pointsPerTick} GraphQL points/tick → ${gh.requestsPerHour} requests/h, ${gh.pointsPerHour} points/h; median tick ${gh.tickMsMedian.toFixed(1)} ms against the local fake`,
);
console.log(
  `Liveness sweep of 2,000 pids: ${live.aliveMsMedian.toFixed(1)} ms median all alive (${live.aliveCount} alive; kill(0) + /proc/<pid>/stat each), ${live.deadMsMedian.toFixed(1)} ms median all dead (kill(0) only)`,
);
