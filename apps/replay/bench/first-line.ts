// P4's first line alone (issue 25): a late `--since` over an indexed log, spawn → first stdout
// byte, interleaved run by run with `node -e` printing one byte (the floor) and, with --compare,
// other builds of the bin (e.g. main's dist copied aside). Also the CPU each used (user + sys from
// /usr/bin/time), which a busy box stretches less than wall time. Prints; writes nothing.
// Usage (from apps/replay):
//   node --import tsx bench/first-line.ts [--size 1GB] [--runs 15] [--log-dir <dir>] [--compare <bin.js>]...
// --log-dir keeps the generated log (and its index cache beside it) there and reuses it on the
// next run; without it both live in a temp dir removed at the end.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadNote, machine } from "@catalyst/test-utils/bench";
import { generateLog } from "./generate-log.js";

const APP = join(dirname(fileURLToPath(import.meta.url)), "..");

interface Args {
  sizeBytes: number;
  runs: number;
  logDir: string | null;
  compare: string[];
}

function parseArgs(argv: string[]): Args {
  const args: Args = { sizeBytes: 1e9, runs: 15, logDir: null, compare: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--size") {
      const m = /^(\d+(?:\.\d+)?)(MB|GB)$/i.exec(argv[++i] ?? "");
      if (!m) throw new Error("--size: expected e.g. 1GB or 200MB");
      args.sizeBytes = Math.round(Number(m[1]) * (m[2]!.toUpperCase() === "GB" ? 1e9 : 1e6));
    } else if (a === "--runs") args.runs = Math.max(1, Number(argv[++i]));
    else if (a === "--log-dir") args.logDir = argv[++i] ?? null;
    else if (a === "--compare") args.compare.push(argv[++i] ?? "");
    else if (a === "--help") {
      process.stdout.write(
        "first-line.ts [--size 1GB] [--runs 15] [--log-dir <dir>] [--compare <bin.js>]...\n",
      );
      process.exit(0);
    } else if (a !== "--") throw new Error(`unknown argument ${a}`);
  }
  return args;
}

interface Sample {
  firstMs: number;
  cpuMs: number;
}

async function measure(cmd: string[], scratch: string, env: NodeJS.ProcessEnv): Promise<Sample> {
  const timeFile = join(scratch, "time.txt");
  const child = spawn("/usr/bin/time", ["-f", "%U %S", "-o", timeFile, ...cmd], {
    stdio: ["ignore", "pipe", "pipe"],
    env,
  });
  const t0 = performance.now();
  let firstMs: number | null = null;
  child.stdout.on("data", () => {
    firstMs ??= performance.now() - t0;
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (c: string) => {
    stderr += c;
  });
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (code !== 0 || firstMs === null)
    throw new Error(`${cmd.join(" ")} exited ${code}: ${stderr.slice(0, 300)}`);
  const [user, sys] = (await readFile(timeFile, "utf8")).trim().split("\n").pop()!.split(" ").map(Number);
  return { firstMs, cpuMs: ((user ?? 0) + (sys ?? 0)) * 1000 };
}

const median = (values: number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const root = args.logDir ?? (await mkdtemp(join(tmpdir(), "catalyst-first-line-")));
  try {
    process.stderr.write("building the bin (tsup) ...\n");
    const built = spawnSync("pnpm", ["exec", "tsup"], { cwd: APP, stdio: ["ignore", "ignore", "inherit"] });
    if (built.status !== 0) throw new Error("tsup failed");
    const dir = join(root, "catalyst");
    const metaFile = join(root, "log.json");
    let lastMs: number;
    if (existsSync(metaFile)) {
      ({ lastMs } = JSON.parse(await readFile(metaFile, "utf8")) as { lastMs: number });
      process.stderr.write(`reusing the log in ${dir}\n`);
    } else {
      await mkdir(root, { recursive: true });
      process.stderr.write(`generating the log in ${dir} ...\n`);
      const log = await generateLog(dir, args.sizeBytes);
      lastMs = log.lastMs;
      await writeFile(metaFile, JSON.stringify({ lastMs, bytes: log.bytes, files: log.files.length }));
    }
    const env = { ...process.env, CATALYST_CACHE_DIR: join(root, "cache") };
    const scratch = await mkdtemp(join(tmpdir(), "catalyst-first-line-scratch-"));
    const late = `${new Date(lastMs).toISOString().slice(0, 10)}T00:00:00Z`;
    const bins = [join(APP, "dist", "bin.cjs"), ...args.compare];
    const query = (bin: string): string[] => [
      process.execPath,
      bin,
      "--since",
      late,
      "--format",
      "jsonl",
      "--dir",
      dir,
    ];
    // The index (a full scan builds every file's), then one warm run of each bin.
    process.stderr.write("indexing (a full scan) ...\n");
    spawnSync(process.execPath, [bins[0]!, "--since", "1970-01-01", "--format", "jsonl", "--dir", dir], {
      env,
      stdio: ["ignore", "ignore", "inherit"],
    });
    for (const bin of bins) await measure(query(bin), scratch, env);
    const tools: [string, string[]][] = [
      ["node -e (floor)", [process.execPath, "-e", "process.stdout.write('x')"]],
      ...bins.map((bin, i): [string, string[]] => [i === 0 ? "this tree's bin" : bin, query(bin)]),
    ];
    const samples = tools.map((): Sample[] => []);
    const loadStart = loadavg().map((l) => l.toFixed(1));
    for (let run = 0; run < args.runs; run++) {
      for (const [i, [, cmd]] of tools.entries()) samples[i]!.push(await measure(cmd, scratch, env));
    }
    const loadEnd = loadavg().map((l) => l.toFixed(1));
    const floorFirst = median(samples[0]!.map((s) => s.firstMs));
    const floorCpu = median(samples[0]!.map((s) => s.cpuMs));
    const lines = [
      `First line of \`--since ${late} --format jsonl\` (warm index), ${args.runs} runs interleaved, medians.`,
      `Machine: ${machine()}; load average ${loadStart.join(", ")} at the start, ${loadEnd.join(", ")} at the end. ${loadNote()}`,
      "",
      "| command | first line | over the floor | CPU (user + sys) | over the floor |",
      "|---|---|---|---|---|",
      ...tools.map(([name], i) => {
        const first = median(samples[i]!.map((s) => s.firstMs));
        const cpu = median(samples[i]!.map((s) => s.cpuMs));
        return `| ${name} | ${first.toFixed(0)} ms | ${i === 0 ? "—" : `+${(first - floorFirst).toFixed(0)} ms`} | ${cpu.toFixed(0)} ms | ${i === 0 ? "—" : `+${(cpu - floorCpu).toFixed(0)} ms`} |`;
      }),
      "",
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    await rm(scratch, { recursive: true, force: true });
  } finally {
    if (args.logDir === null) await rm(root, { recursive: true, force: true });
  }
}

await main();
