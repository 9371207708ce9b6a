// P12's connect storm alone (issue 26): `node bench/p12-storm.mjs <monitor bin.js> <catalyst dir>
// <clients> [share] [port]` starts the monitor on the fleet, connects <clients> SSE clients
// (`p12-clients.mjs`, 2 processes, 4,000 connects/s) and prints one JSON line: the wall time until
// every client has its snapshot, the server's CPU per client, RSS per client, the box's
// ListenOverflows and syncookie counters over the storm, and the clients reset by the server.
// `share` < 1 runs the monitor only that share of every 50 ms (SIGSTOP/SIGCONT): a CPU-starved
// server, as on a loaded box, without loading the box for anyone else.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const [bin, dir, n, shareArg = "1", port = "47200"] = process.argv.slice(2);
if (bin === undefined || dir === undefined || n === undefined) {
  console.error("usage: node bench/p12-storm.mjs <bin.js> <catalyst dir> <clients> [share] [port]");
  process.exit(2);
}
const clients = Number(n);
const share = Number(shareArg);
const stat = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return { cpu: (Number(f[11]) + Number(f[12])) / 100, sys: Number(f[12]) / 100 };
};
const netstat = () => {
  const lines = readFileSync("/proc/net/netstat", "utf8").split("\n");
  const head = lines.findIndex((l) => l.startsWith("TcpExt:"));
  const names = lines[head].split(/\s+/);
  const values = lines[head + 1].split(/\s+/);
  const of = (name) => Number(values[names.indexOf(name)]);
  return {
    overflows: of("ListenOverflows"),
    cookies: of("SyncookiesSent"),
    cookiesFailed: of("SyncookiesFailed"),
  };
};
const rssMB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) / 1024;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const server = spawn(process.execPath, [bin, "--dir", dir, "--port", port], {
  stdio: ["ignore", "pipe", "ignore"],
});
await new Promise((resolve) => {
  let out = "";
  server.stdout.on("data", (d) => {
    out += d;
    if (out.includes("listening on")) resolve();
  });
});
await sleep(1500);
const pid = server.pid;
let dutyOn = share < 1;
const duty = (async () => {
  while (dutyOn) {
    process.kill(pid, "SIGSTOP");
    await sleep(50 * (1 - share));
    process.kill(pid, "SIGCONT");
    await sleep(50 * share);
  }
})();
const cpu0 = stat(pid);
const net0 = netstat();
const rss0 = rssMB(pid);
const t0 = performance.now();
const half = Math.ceil(clients / 2);
const procs = [half, clients - half].map((count) =>
  spawn(
    "sh",
    [
      "-c",
      'ulimit -n $(ulimit -Hn); exec "$0" "$@"',
      process.execPath,
      join(import.meta.dirname, "p12-clients.mjs"),
      `http://127.0.0.1:${port}/events`,
      String(count),
      "0",
      "10",
    ],
    { stdio: ["pipe", "pipe", "inherit"] },
  ),
);
const outputs = procs.map(() => "");
await Promise.all(
  procs.map(
    (p, i) =>
      new Promise((resolve) => {
        p.stdout.on("data", (d) => {
          outputs[i] += d;
          if (outputs[i].includes("ready\n")) resolve();
        });
      }),
  ),
);
const wallMs = performance.now() - t0;
const cpu1 = stat(pid);
const net1 = netstat();
const rss1 = rssMB(pid);
const clientCpu = procs.reduce((sum, p) => sum + stat(p.pid).cpu, 0);
dutyOn = false;
await duty;
const reports = await Promise.all(
  procs.map((p, i) => {
    outputs[i] = "";
    p.stdin.write("report\n");
    return new Promise((resolve) => {
      const check = () => {
        const m = /\{.*\}\n/.exec(outputs[i]);
        if (m) resolve(JSON.parse(m[0]));
        else setTimeout(check, 20);
      };
      check();
    });
  }),
);
console.log(
  JSON.stringify({
    clients,
    share,
    wallMs: Math.round(wallMs),
    serverCpuS: +(cpu1.cpu - cpu0.cpu).toFixed(2),
    serverKernelS: +(cpu1.sys - cpu0.sys).toFixed(2),
    serverCpuUsPerClient: Math.round(((cpu1.cpu - cpu0.cpu) * 1e6) / clients),
    clientsCpuS: +clientCpu.toFixed(2),
    rssKiBPerClient: +(((rss1 - rss0) * 1024) / clients).toFixed(1),
    listenOverflows: net1.overflows - net0.overflows,
    syncookies: net1.cookies - net0.cookies,
    syncookiesFailed: net1.cookiesFailed - net0.cookiesFailed,
    reset: reports.reduce((sum, r) => sum + r.closed, 0),
    errors: reports.map((r) => r.errors),
  }),
);
for (const p of procs) p.stdin.end();
server.kill("SIGTERM");
await sleep(500);
process.exit(0);
