// Benchmark: catalyst-replay --since on a generated log (default 1 GB) against the seed's awk
// recipe, grep and jq, in the same run. Usage (from apps/replay):
//   pnpm bench [-- --size 1GB --runs 3 --no-write]
// Writes the "Replay" section of BENCHMARKS.md unless --no-write. The log lives in a temp dir
// that is removed at the end.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleBin } from "../src/bundle-bin.test-helper.js";
import { generateLog } from "./generate-log.js";

interface Args {
  sizeBytes: number;
  runs: number;
  write: boolean;
}

function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)?$/i.exec(text.trim());
  if (!m) throw new Error(`--size: expected e.g. 1GB or 200MB, got ${text}`);
  const unit = (m[2] ?? "B").toUpperCase();
  const mult = unit === "GB" ? 1e9 : unit === "MB" ? 1e6 : unit === "KB" ? 1e3 : 1;
  return Math.round(Number(m[1]) * mult);
}

function parseArgs(argv: string[]): Args {
  const args: Args = { sizeBytes: 1e9, runs: 3, write: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--size") args.sizeBytes = parseSize(argv[++i] ?? "");
    else if (a === "--runs") args.runs = Math.max(1, Number(argv[++i]));
    else if (a === "--no-write") args.write = false;
    else if (a === "--") continue;
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

interface Sample {
  firstMs: number | null;
  totalMs: number;
  rssKb: number;
  outBytes: number;
  code: number | null;
}

/** Run a command under /usr/bin/time (for peak RSS), reading its stdout through a pipe. */
async function measure(cmd: string[], scratch: string): Promise<Sample> {
  const rssFile = join(scratch, "rss.txt");
  const child = spawn("/usr/bin/time", ["-f", "%M", "-o", rssFile, ...cmd], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const t0 = performance.now();
  let firstMs: number | null = null;
  let outBytes = 0;
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    if (firstMs === null) firstMs = performance.now() - t0;
    outBytes += chunk.length;
  });
  child.stderr.setEncoding("utf8").on("data", (c: string) => {
    stderr += c;
  });
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const totalMs = performance.now() - t0;
  if (code !== 0) throw new Error(`${cmd.join(" ")} exited ${code}: ${stderr.slice(0, 500)}`);
  const rssKb = Number((await readFile(rssFile, "utf8")).trim().split("\n").pop());
  return { firstMs, totalMs, rssKb, outBytes, code };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

const fmtMs = (ms: number | null): string =>
  ms === null ? "—" : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
const fmtMb = (kb: number): string => `${(kb / 1024).toFixed(0)} MB`;
const fmtBytes = (b: number): string =>
  b >= 1e9 ? `${(b / 1e9).toFixed(2)} GB` : b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : `${b} B`;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const root = await mkdtemp(join(tmpdir(), "catalyst-replay-bench-"));
  let binDir: string | null = null;
  try {
    const load = loadavg()
      .map((l) => l.toFixed(1))
      .join(", ");
    // --snapshot is not measured, so fuse stays out of the bundle (and out of its start-up).
    process.stderr.write("bundling the bin ...\n");
    const bin = await bundleBin({ external: ["@catalyst/fuse"] });
    binDir = dirname(bin);
    process.stderr.write(`generating ${fmtBytes(args.sizeBytes)} of log in ${root} ...\n`);
    const dir = join(root, "catalyst");
    const log = await generateLog(dir, args.sizeBytes);
    process.stderr.write(`  ${fmtBytes(log.bytes)}, ${log.lines} lines, ${log.files.length} files\n`);
    const scratch = await mkdtemp(join(root, "scratch-"));

    const scenarios = [
      {
        name: "last day (`--since 2026-04-30T00:00:00Z`, ~0.8% of the log)",
        since: "2026-04-30T00:00:00Z",
        grep: '"ts":"2026-04-30T',
      },
      { name: "full scan (`--since` before the first line)", since: "2025-12-31T00:00:00Z", grep: '"ts":"' },
    ];
    const tools = (since: string, grep: string): Array<{ name: string; cmd: string[] }> => [
      {
        name: "catalyst-replay --format jsonl",
        cmd: [process.execPath, bin, "--since", since, "--format", "jsonl", "--dir", dir],
      },
      { name: "seed awk recipe", cmd: ["awk", "-F", '"ts":', `$2 > "\\"${since}\\"" {print}`, ...log.files] },
      { name: `grep -F '${grep}'`, cmd: ["grep", "-h", "-F", grep, ...log.files] },
      { name: "jq -c 'select(.ts >= T)'", cmd: ["jq", "-c", `select(.ts >= "${since}")`, ...log.files] },
    ];
    const rows: string[] = [];
    const floor: Sample[] = [];
    const checks: string[] = [];
    for (const scenario of scenarios) {
      const list = tools(scenario.since, scenario.grep);
      const samples = new Map<string, Sample[]>(list.map((t) => [t.name, []]));
      for (let run = 0; run < args.runs; run++) {
        floor.push(await measure([process.execPath, "-e", "process.stdout.write('x')"], scratch));
        for (const tool of list) {
          process.stderr.write(`  ${scenario.since} run ${run + 1}/${args.runs}: ${tool.name} ... `);
          const sample = await measure(tool.cmd, scratch);
          samples.get(tool.name)?.push(sample);
          process.stderr.write(`${fmtMs(sample.totalMs)}\n`);
        }
      }
      const ours = samples.get(list[0]?.name as string) ?? [];
      const awk = samples.get(list[1]?.name as string) ?? [];
      checks.push(
        `${scenario.since}: catalyst-replay printed ${fmtBytes(ours[0]?.outBytes ?? 0)}, awk ${fmtBytes(awk[0]?.outBytes ?? 0)} (${ours[0]?.outBytes === awk[0]?.outBytes ? "same size" : "DIFFERENT size"})`,
      );
      for (const tool of list) {
        const s = samples.get(tool.name) ?? [];
        const firsts = s.map((x) => x.firstMs).filter((x): x is number => x !== null);
        rows.push(
          `| ${scenario.name} | ${tool.name} | ${fmtMs(firsts.length ? median(firsts) : null)} | ${fmtMs(median(s.map((x) => x.totalMs)))} | ${fmtMb(median(s.map((x) => x.rssKb)))} | ${fmtBytes(s[0]?.outBytes ?? 0)} |`,
        );
      }
    }
    const floorFirst = median(floor.map((x) => x.firstMs ?? x.totalMs));
    const floorRss = median(floor.map((x) => x.rssKb));
    const section = [
      "## Replay: `catalyst-replay --since` on a 1 GB log",
      "",
      `Run ${new Date().toISOString().slice(0, 16)}Z with \`pnpm --filter catalyst-replay bench -- --size ${fmtBytes(args.sizeBytes).replace(" ", "")} --runs ${args.runs}\`.`,
      `Machine: nproc ${cpus().length}, RAM ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}; load average at start ${load} (a shared, busy box).`,
      `Log: ${fmtBytes(log.bytes)}, ${log.lines.toLocaleString("en-US")} lines in ${log.files.length} monthly files (\`events/2026-01.jsonl\` … \`2026-04.jsonl\`), v1, session and canonical shapes, warm page cache.`,
      `Each tool's stdout is a pipe read by the bench; "first line" is spawn → first stdout byte; peak RSS from \`/usr/bin/time -f %M\`. Medians of ${args.runs} runs, tools interleaved within each run.`,
      "",
      "| scenario | tool | first line | total | peak RSS | output |",
      "|---|---|---|---|---|---|",
      ...rows,
      `| floor | \`node -e\` printing one byte (Node start-up) | ${fmtMs(floorFirst)} | — | ${fmtMb(floorRss)} | — |`,
      "",
      ...checks.map((c) => `- ${c}.`),
      "- grep is a plain-scan baseline: it matches a fixed prefix, not a time comparison (it is exact here only because the window is whole days). jq re-serialises lines, so its output is not the original bytes.",
      "",
    ].join("\n");
    process.stdout.write(`${section}\n`);
    if (args.write) await writeSection(section);
  } finally {
    await rm(root, { recursive: true, force: true });
    if (binDir) await rm(binDir, { recursive: true, force: true });
  }
}

async function writeSection(section: string): Promise<void> {
  const file = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "BENCHMARKS.md");
  const text = await readFile(file, "utf8");
  const start = text.indexOf("## Replay:");
  if (start === -1) {
    await writeFile(file, `${text.trimEnd()}\n\n${section}`);
    return;
  }
  const next = text.indexOf("\n## ", start + 1);
  const notes = extractNotes(next === -1 ? text.slice(start) : text.slice(start, next));
  const replaced = `${section}${notes}`;
  await writeFile(
    file,
    next === -1
      ? `${text.slice(0, start)}${replaced}`
      : `${text.slice(0, start)}${replaced}\n${text.slice(next + 1)}`,
  );
}

// Hand-written analysis below the generated table survives a re-run: it starts at this marker.
const NOTES_MARKER = "<!-- replay-bench: notes -->";
function extractNotes(old: string): string {
  const at = old.indexOf(NOTES_MARKER);
  return at === -1 ? "" : `\n${old.slice(at).trimEnd()}\n`;
}

await main();
