// Benchmark: `catalyst-replay --nats` (the shipped bin, dist/bin.js + dist/relay.js, built here) over
// a real nats-server holding several hosts' logs, published by the real relay publisher. Sorted in
// memory, with the default 64 MiB budget and with a small one (spilled runs merged from a temp dir):
// wall time, lines/s, peak RSS, and the three outputs compared byte for byte. Usage (from apps/replay):
//   pnpm bench:nats [-- --lines 300000 --hosts 3 --runs 3 --no-write]
// Writes the "Replay from NATS:" section of BENCHMARKS.md unless --no-write. Everything lives in a
// temp dir that is removed at the end.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRelayPublisher } from "@catalyst/relay";
import { load, machine, writeSection } from "@catalyst/test-utils/bench";

const APP = join(dirname(fileURLToPath(import.meta.url)), "..");
const HEADING = "Replay from NATS: catalyst-replay --nats, merged by ts, in memory and spilled";
const NATS = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"].find((p) =>
  existsSync(p),
);

interface Args {
  lines: number;
  hosts: number;
  runs: number;
  write: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { lines: 300_000, hosts: 3, runs: 3, write: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--lines") args.lines = Number(argv[++i]);
    else if (a === "--hosts") args.hosts = Number(argv[++i]);
    else if (a === "--runs") args.runs = Math.max(1, Number(argv[++i]));
    else if (a === "--no-write") args.write = false;
    else if (a === "--") continue;
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

/** One host's month file: lines in time order for the host's own clock, skewed by `skewHours`, with a few stamped 1970 and 2099. */
function hostLog(host: number, n: number, skewHours: number): string {
  const base = Date.UTC(2026, 3, 1) + skewHours * 3_600_000;
  const pad = "x".repeat(120);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const ts =
      i % 1000 === 7
        ? "1970-01-01T00:00:00Z"
        : i % 1000 === 9
          ? "2099-01-01T00:00:00Z"
          : new Date(base + i * 997).toISOString();
    out.push(
      JSON.stringify({
        ts,
        orchestrator: `orch-${host}-${i % 5}`,
        worker: `CTL-${i % 200}`,
        event: "worker-status-changed",
        detail: { from: "planning", to: "implementing", i, pad },
      }),
    );
  }
  return `${out.join("\n")}\n`;
}

function startNats(storeDir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(NATS!, ["-js", "-a", "127.0.0.1", "-p", "-1", "-sd", storeDir], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let text = "";
    child.stderr!.on("data", (b: Buffer) => {
      text += b.toString("utf8");
      const m = /Listening for client connections on 127\.0\.0\.1:(\d+)/.exec(text);
      if (m && /Server is ready/.test(text)) resolve({ url: `nats://127.0.0.1:${m[1]}`, child });
    });
    child.on("exit", (code) => reject(new Error(`nats-server exited ${code}: ${text.slice(-400)}`)));
  });
}

interface Run {
  ms: number;
  rssKb: number;
  bytes: number;
  lines: number;
  sha: string;
  firstLineMs: number;
}

/** The bin under /usr/bin/time: wall time, time to the first byte, peak RSS, output hash. */
function runReplay(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const t0 = performance.now();
  const child = spawn("/usr/bin/time", ["-f", "%M", process.execPath, join(APP, "dist/bin.js"), ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const hash = createHash("sha256");
  let bytes = 0;
  let lines = 0;
  let firstLineMs = Number.NaN;
  let stderr = "";
  child.stdout!.on("data", (b: Buffer) => {
    if (bytes === 0) firstLineMs = performance.now() - t0;
    bytes += b.length;
    for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) lines++;
    hash.update(b);
  });
  child.stderr!.on("data", (b: Buffer) => {
    stderr += b.toString("utf8");
  });
  return new Promise((resolve, reject) =>
    child.on("close", (code) => {
      const ms = performance.now() - t0;
      if (code !== 0) return reject(new Error(`catalyst-replay exited ${code}: ${stderr.slice(-400)}`));
      const rssKb = Number(stderr.trim().split("\n").at(-1));
      resolve({ ms, rssKb, bytes, lines, sha: hash.digest("hex").slice(0, 16), firstLineMs });
    }),
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (!NATS) {
    console.log("nats-server is not installed (apt-get install nats-server): bench skipped");
    return;
  }
  console.log("building the bin (tsup)…");
  const built = spawnSync("pnpm", ["exec", "tsup"], { cwd: APP, stdio: "inherit" });
  if (built.status !== 0) throw new Error("tsup failed");

  const root = await mkdtemp(join(tmpdir(), "replay-nats-bench-"));
  let nats: { url: string; child: ChildProcess } | null = null;
  try {
    nats = await startNats(join(root, "store"));
    const perHost = Math.ceil(args.lines / args.hosts);
    const skews = [0, 12, -3, 5, -7, 1, 2, 3, 4, 6];
    let logBytes = 0;
    const t0 = performance.now();
    for (let h = 0; h < args.hosts; h++) {
      const dir = join(root, `host-${h}`);
      await mkdir(join(dir, "events"), { recursive: true });
      const text = hostLog(h, perHost, skews[h % skews.length]!);
      logBytes += Buffer.byteLength(text);
      await writeFile(join(dir, "events", "2026-04.jsonl"), text);
      const publisher = createRelayPublisher({
        servers: nats.url,
        hostName: `host-${h}`,
        catalystDir: dir,
        stateDir: join(root, "state"),
      });
      await publisher.start();
      while (publisher.stats().linesPublished < perHost) await new Promise((r) => setTimeout(r, 200));
      await publisher.idle();
      await publisher.stop();
      console.log(`host-${h}: ${perHost} lines published`);
    }
    const publishMs = performance.now() - t0;
    const total = perHost * args.hosts;

    const window = ["--nats", nats.url, "--since", "1970-01-01", "--format", "jsonl"];
    const scenarios = [
      {
        name: "whole stream, sorted in memory (budget 4 GiB)",
        args: window,
        env: { CATALYST_REPLAY_SORT_BYTES: String(4 * 2 ** 30) },
      },
      { name: "whole stream, default budget (64 MiB)", args: window, env: {} },
      {
        name: "whole stream, budget 8 MiB",
        args: window,
        env: { CATALYST_REPLAY_SORT_BYTES: String(8 * 2 ** 20) },
      },
      {
        name: "whole stream, budget 8 MiB, V8 heap capped (`--max-old-space-size=64`)",
        args: window,
        env: { CATALYST_REPLAY_SORT_BYTES: String(8 * 2 ** 20), NODE_OPTIONS: "--max-old-space-size=64" },
      },
      {
        name: "narrow window (one hour of one clock)",
        args: [
          "--nats",
          nats.url,
          "--since",
          "2026-04-01T01:00:00Z",
          "--until",
          "2026-04-01T02:00:00Z",
          "--format",
          "jsonl",
        ],
        env: {},
      },
    ];
    const results: { name: string; runs: Run[] }[] = scenarios.map((s) => ({ name: s.name, runs: [] }));
    await mkdir(join(root, "tmp"), { recursive: true });
    // Interleaved, so a burst of load from elsewhere hits every scenario alike.
    for (let r = 0; r < args.runs; r++) {
      for (const [i, s] of scenarios.entries()) {
        const run = await runReplay(s.args, { ...s.env, TMPDIR: join(root, "tmp") });
        results[i]!.runs.push(run);
        console.log(
          `${s.name}: ${run.ms.toFixed(0)} ms, ${(run.rssKb / 1024).toFixed(0)} MiB, ${run.lines} lines, ${run.sha}`,
        );
      }
    }
    const leftInTmp = (await readdir(join(root, "tmp"))).length;
    const same = new Set(results.slice(0, 4).flatMap((r) => r.runs.map((x) => x.sha))).size === 1;

    const rows = results.map(({ name, runs }) => {
      const ms = median(runs.map((x) => x.ms));
      const lines = runs[0]!.lines;
      return `| ${name} | ${lines.toLocaleString("en-US")} | ${ms.toFixed(0)} ms | ${median(runs.map((x) => x.firstLineMs)).toFixed(0)} ms | ${Math.round((total / ms) * 1000).toLocaleString("en-US")} | ${(median(runs.map((x) => x.rssKb)) / 1024).toFixed(0)} MiB | \`${runs[0]!.sha}\` |`;
    });
    const section = [
      `Run ${new Date().toISOString()} with \`pnpm --filter catalyst-replay run bench:nats\` (\`apps/replay/bench/nats-bench.ts\`; flags \`--lines\`, \`--hosts\`, \`--runs\`).`,
      `Machine: ${machine()}; load average ${load()} at the end. The box is shared with other engineers' tests: figures are noisy.`,
      "",
      `Stream: ${total.toLocaleString("en-US")} lines (${(logBytes / 1e6).toFixed(0)} MB of log) from ${args.hosts} hosts, clocks 0, +12 h and −3 h off, one line in 500 stamped 1970 or 2099; published by the relay publisher in ${(publishMs / 1000).toFixed(1)} s (${Math.round((total / publishMs) * 1000).toLocaleString("en-US")} lines/s, one host after the other, loopback nats-server ${spawnSync(NATS, ["--version"]).stdout.toString().trim()}). Each run reads the whole stream (an ordered consumer, 1 MiB pulls), parses every line for its own ts, sorts the window and prints it; "lines/s" is stream lines read per second of wall time. Medians of ${args.runs} runs, scenarios interleaved; peak RSS from \`/usr/bin/time -f %M\`.`,
      "",
      "| scenario | lines printed | wall | first line | lines/s | peak RSS | output sha256 |",
      "|---|---|---|---|---|---|---|",
      ...rows,
      "",
      `- The four whole-stream outputs are ${same ? "identical, byte for byte" : "**not identical**"}: spilling changes memory, not the result.`,
      "- Peak RSS is mostly V8 letting garbage pile up while it has room (every line is parsed for its ts): the run with the heap capped at 64 MiB, smaller than the log, completing with the same output is the evidence that the live memory is bounded.",
      `- Memory follows the budget, not the stream: sorted in memory the window's lines are all held (the first row); with a budget, sorted runs go to a temp dir under \`$TMPDIR\` (removed at the end: ${leftInTmp === 0 ? "empty after every run" : `**${leftInTmp} entries left**`}) and a k-way merge reads one 64 KiB chunk per run.`,
      "- The first line comes only after the whole stream is read and sorted: a replay by `ts` cannot print before it has seen every line that might come earlier (a host whose clock is hours off).",
      "- A narrow window costs the same read of the stream (the broker's receive time says nothing about a line's ts), but sorts and prints little.",
    ].join("\n");
    process.stdout.write(`\n## ${HEADING}\n\n${section}\n`);
    if (args.write) await writeSection(HEADING, section);
  } finally {
    nats?.child.kill("SIGKILL");
    await rm(root, { recursive: true, force: true });
  }
}

await main();
