// Benchmark P4: the shipped catalyst-replay bin (dist/bin.cjs, which imports dist/bin.js for all
// but a plain jsonl query; built here with tsup) on a generated
// log (default 1 GB in 76 monthly files) against `node -e 0`, `cat`, the seed's awk recipe and `rg`,
// in the same run. Usage (from apps/replay):
//   pnpm bench [-- --size 1GB --runs 3 --no-write]
// Writes the "Replay:" section of BENCHMARKS.md unless --no-write. The log and the index cache live
// in a temp dir that is removed at the end.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadNote, machine, writeSection } from "@catalyst/test-utils/bench";
import { generateLog } from "./generate-log.js";

const APP = join(dirname(fileURLToPath(import.meta.url)), "..");
const HEADING = "Replay: `catalyst-replay` on a 1 GB log (P4)";

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
  sha: string;
  code: number | null;
  stderr: string;
}

/** Run a command under /usr/bin/time (for peak RSS), reading its stdout through a pipe. */
async function measure(
  cmd: string[],
  scratch: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Sample> {
  const rssFile = join(scratch, "rss.txt");
  const child = spawn("/usr/bin/time", ["-f", "%M", "-o", rssFile, ...cmd], {
    stdio: ["ignore", "pipe", "pipe"],
    env,
  });
  const t0 = performance.now();
  let firstMs: number | null = null;
  let outBytes = 0;
  let stderr = "";
  const hash = createHash("sha1");
  child.stdout.on("data", (chunk: Buffer) => {
    if (firstMs === null) firstMs = performance.now() - t0;
    outBytes += chunk.length;
    hash.update(chunk);
  });
  child.stderr.setEncoding("utf8").on("data", (c: string) => {
    stderr += c;
  });
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const totalMs = performance.now() - t0;
  const rssKb = Number((await readFile(rssFile, "utf8")).trim().split("\n").pop());
  return { firstMs, totalMs, rssKb, outBytes, sha: hash.digest("hex"), code, stderr };
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

interface Tool {
  name: string;
  cmd: string[];
  /** A baseline that is not a time comparison (cat prints everything; rg a fixed prefix). */
  note?: string;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const root = await mkdtemp(join(tmpdir(), "catalyst-replay-bench-"));
  try {
    const loadStart = loadavg().map((l) => l.toFixed(1));
    // The shipped bin: the same tsup build as `pnpm build`, so the benchmarked file is the one users run.
    process.stderr.write("building the bin (tsup) ...\n");
    const built = spawnSync("pnpm", ["exec", "tsup"], { cwd: APP, stdio: ["ignore", "ignore", "inherit"] });
    if (built.status !== 0) throw new Error("tsup failed");
    const bin = join(APP, "dist", "bin.cjs");
    const rg = spawnSync("rg", ["--version"], { encoding: "utf8" });
    const rgVersion = rg.status === 0 ? rg.stdout.split("\n")[0] : null;

    process.stderr.write(`generating ${fmtBytes(args.sizeBytes)} of log in ${root} ...\n`);
    const dir = join(root, "catalyst");
    const log = await generateLog(dir, args.sizeBytes);
    process.stderr.write(`  ${fmtBytes(log.bytes)}, ${log.lines} lines, ${log.files.length} files\n`);
    const scratch = await mkdtemp(join(root, "scratch-"));
    const cache = join(root, "cache");
    const env = { ...process.env, CATALYST_CACHE_DIR: cache };
    const lastDay = new Date(log.lastMs).toISOString().slice(0, 10);
    const late = `${lastDay}T00:00:00Z`;
    const early = "2019-12-31T00:00:00Z";
    const ours = (since: string, heap?: number): string[] => [
      process.execPath,
      ...(heap ? [`--max-old-space-size=${heap}`] : []),
      bin,
      "--since",
      since,
      "--format",
      "jsonl",
      "--dir",
      dir,
    ];

    // First run: no index yet, so every file is read and parsed once to build it.
    process.stderr.write("  first run (builds the index) ...\n");
    const indexing = await measure(ours(early), scratch, env);
    if (indexing.code !== 0)
      throw new Error(`first run exited ${indexing.code}: ${indexing.stderr.slice(0, 400)}`);
    const cacheBytes = Number(spawnSync("du", ["-sb", cache], { encoding: "utf8" }).stdout.split("\t")[0]);

    const toolsFor = (since: string, prefix: string): Tool[] => [
      { name: "catalyst-replay --format jsonl", cmd: ours(since) },
      { name: "seed awk recipe", cmd: ["awk", "-F", '"ts":', `$2 > "\\"${since}\\"" {print}`, ...log.files] },
      ...(rgVersion
        ? [
            {
              name: `rg -F '${prefix}'`,
              cmd: ["rg", "--no-filename", "--no-line-number", "-F", prefix, ...log.files],
              note: "fixed prefix",
            },
          ]
        : []),
      { name: "cat (all files)", cmd: ["cat", ...log.files], note: "prints everything" },
    ];
    const scenarios = [
      {
        key: "late",
        name: `late \`--since ${late}\` (last day)`,
        tools: toolsFor(late, `"ts":"${lastDay}T`),
      },
      { key: "full", name: "full scan (`--since` before the first line)", tools: toolsFor(early, '"ts":"') },
    ];
    const samples = new Map<string, Sample[]>();
    const floor: Sample[] = [];
    const small: Sample[] = [];
    // Issue 25: the first late --since on a never-indexed log (a fresh cache dir each run).
    const coldLate: Sample[] = [];
    for (let run = 0; run < args.runs; run++) {
      floor.push(await measure([process.execPath, "-e", "process.stdout.write('x')"], scratch));
      const coldCache = join(root, `cold-cache-${run}`);
      process.stderr.write(`  run ${run + 1}/${args.runs}: first late --since, no index ... `);
      const cold = await measure(ours(late), scratch, { ...process.env, CATALYST_CACHE_DIR: coldCache });
      if (cold.code !== 0) throw new Error(`cold late run exited ${cold.code}: ${cold.stderr.slice(0, 400)}`);
      coldLate.push(cold);
      await rm(coldCache, { recursive: true, force: true });
      process.stderr.write(`${fmtMs(cold.totalMs)}\n`);
      for (const scenario of scenarios) {
        for (const tool of scenario.tools) {
          process.stderr.write(`  run ${run + 1}/${args.runs} ${scenario.key}: ${tool.name} ... `);
          const sample = await measure(tool.cmd, scratch, env);
          if (sample.code !== 0 && !(tool.cmd[0] === "rg" && sample.code === 1)) {
            throw new Error(`${tool.name} exited ${sample.code}: ${sample.stderr.slice(0, 400)}`);
          }
          const key = `${scenario.key}|${tool.name}`;
          samples.set(key, [...(samples.get(key) ?? []), sample]);
          process.stderr.write(`${fmtMs(sample.totalMs)}\n`);
        }
      }
      process.stderr.write(`  run ${run + 1}/${args.runs}: full scan under --max-old-space-size=64 ... `);
      const s = await measure(ours(early, 64), scratch, env);
      small.push(s);
      process.stderr.write(`${fmtMs(s.totalMs)} (exit ${s.code})\n`);
    }
    // Time travel folds every event up to --at: the fold holds the fleet, not the events.
    const at = new Date(log.firstMs + (log.lastMs - log.firstMs) * 0.3).toISOString();
    process.stderr.write(`  --at ${at} --snapshot (folds ~30% of the log) ... `);
    const snapshot = await measure(
      [process.execPath, bin, "--at", at, "--snapshot", "--format", "jsonl", "--dir", dir],
      scratch,
      env,
    );
    process.stderr.write(`${fmtMs(snapshot.totalMs)} (exit ${snapshot.code})\n`);
    // The first --at lays the fold checkpoints; the next ones fold from the nearest one.
    const fromCheckpoint: Sample[] = [];
    for (let run = 0; run < args.runs; run++) {
      process.stderr.write(`  run ${run + 1}/${args.runs}: --at ${at} --snapshot from a checkpoint ... `);
      const s = await measure(
        [process.execPath, bin, "--at", at, "--snapshot", "--format", "jsonl", "--dir", dir],
        scratch,
        env,
      );
      fromCheckpoint.push(s);
      process.stderr.write(`${fmtMs(s.totalMs)}, ${fmtMb(s.rssKb)} (exit ${s.code})\n`);
    }
    const atTotal = median(fromCheckpoint.map((x) => x.totalMs));
    const atRss = median(fromCheckpoint.map((x) => x.rssKb));
    const atOk = fromCheckpoint.every((x) => x.code === 0);
    const loadEnd = loadavg().map((l) => l.toFixed(1));

    const med = (key: string, pick: (s: Sample) => number | null): number | null => {
      const values = (samples.get(key) ?? []).map(pick).filter((v): v is number => v !== null);
      return values.length > 0 ? median(values) : null;
    };
    const rows: string[] = [];
    for (const scenario of scenarios) {
      for (const tool of scenario.tools) {
        const key = `${scenario.key}|${tool.name}`;
        const first = (samples.get(key) ?? [])[0];
        rows.push(
          `| ${scenario.name} | ${tool.name}${tool.note ? ` (${tool.note})` : ""} | ${fmtMs(med(key, (x) => x.firstMs))} | ${fmtMs(med(key, (x) => x.totalMs))} | ${fmtMb(med(key, (x) => x.rssKb) ?? 0)} | ${fmtBytes(first?.outBytes ?? 0)} |`,
        );
      }
    }
    const smallOk = small.every((s) => s.code === 0);
    rows.push(
      `| full scan, \`node --max-old-space-size=64\` | catalyst-replay --format jsonl | ${fmtMs(median(small.map((s) => s.firstMs ?? s.totalMs)))} | ${smallOk ? fmtMs(median(small.map((s) => s.totalMs))) : `exit ${small.find((s) => s.code !== 0)?.code}`} | ${fmtMb(median(small.map((s) => s.rssKb)))} | ${fmtBytes(small[0]?.outBytes ?? 0)} |`,
      `| first run, no index yet, late \`--since\` | catalyst-replay --format jsonl (fresh cache each run) | ${fmtMs(median(coldLate.map((x) => x.firstMs ?? x.totalMs)))} | ${fmtMs(median(coldLate.map((x) => x.totalMs)))} | ${fmtMb(median(coldLate.map((x) => x.rssKb)))} | ${fmtBytes(coldLate[0]?.outBytes ?? 0)} |`,
      `| first run, no index yet (full scan) | catalyst-replay --format jsonl (indexes ${log.files.length} files) | ${fmtMs(indexing.firstMs)} | ${fmtMs(indexing.totalMs)} | ${fmtMb(indexing.rssKb)} | ${fmtBytes(indexing.outBytes)} |`,
      `| \`--at <30% point> --snapshot\` | catalyst-replay (first: full fold, lays checkpoints) | ${fmtMs(snapshot.firstMs)} | ${fmtMs(snapshot.totalMs)} | ${fmtMb(snapshot.rssKb)} | ${fmtBytes(snapshot.outBytes)} |`,
      `| \`--at <30% point> --snapshot\` again | catalyst-replay (from the nearest checkpoint, median) | — | ${fmtMs(atTotal)} | ${fmtMb(atRss)} | ${fmtBytes(snapshot.outBytes)} |`,
      `| floor | \`node -e\` printing one byte (Node start-up) | ${fmtMs(median(floor.map((x) => x.firstMs ?? x.totalMs)))} | ${fmtMs(median(floor.map((x) => x.totalMs)))} | ${fmtMb(median(floor.map((x) => x.rssKb)))} | — |`,
    );

    const get = (scenario: string, tool: string, pick: (s: Sample) => number | null): number =>
      med(`${scenario}|${tool}`, pick) ?? Number.NaN;
    const OURS = "catalyst-replay --format jsonl";
    const floorFirst = median(floor.map((x) => x.firstMs ?? x.totalMs));
    const first = get("late", OURS, (x) => x.firstMs);
    const lateOurs = get("late", OURS, (x) => x.totalMs);
    const lateAwk = get("late", "seed awk recipe", (x) => x.totalMs);
    const fullOurs = get("full", OURS, (x) => x.totalMs);
    const fullAwk = get("full", "seed awk recipe", (x) => x.totalMs);
    const fullCat = get("full", "cat (all files)", (x) => x.totalMs);
    const rss =
      Math.max(
        get("full", OURS, (x) => x.rssKb),
        get("late", OURS, (x) => x.rssKb),
      ) / 1024;
    const smallRss = median(small.map((s) => s.rssKb)) / 1024;
    const same = (scenario: string): boolean => {
      const a = samples.get(`${scenario}|${OURS}`)?.[0];
      const b = samples.get(`${scenario}|seed awk recipe`)?.[0];
      return a !== undefined && b !== undefined && a.sha === b.sha && a.outBytes === b.outBytes;
    };
    const yes = (ok: boolean): string => (ok ? "**met**" : "**missed**");
    const goals = [
      `| first line ≤ \`node -e 0\` + 50 ms | ${fmtMs(first)} | node ${fmtMs(floorFirst)} (+${fmtMs(first - floorFirst)}) | ${yes(first <= floorFirst + 50)} |`,
      `| first late \`--since\`, no index, total ≤ awk | ${fmtMs(median(coldLate.map((x) => x.totalMs)))} | awk ${fmtMs(lateAwk)} | ${yes(median(coldLate.map((x) => x.totalMs)) <= lateAwk)} |`,
      `| first late \`--since\` byte-identical to awk | ${coldLate[0]?.sha === samples.get(`late|seed awk recipe`)?.[0]?.sha ? "same bytes" : "DIFFERENT"} | — | ${yes(coldLate[0]?.sha === samples.get(`late|seed awk recipe`)?.[0]?.sha)} |`,
      `| late \`--since\` total ≤ awk | ${fmtMs(lateOurs)} | awk ${fmtMs(lateAwk)} | ${yes(lateOurs <= lateAwk)} |`,
      `| full scan ≤ awk | ${fmtMs(fullOurs)} | awk ${fmtMs(fullAwk)} | ${yes(fullOurs <= fullAwk)} |`,
      `| full scan ≤ 2× cat (aim) | ${fmtMs(fullOurs)} | cat ${fmtMs(fullCat)} (${(fullOurs / fullCat).toFixed(1)}×) | ${yes(fullOurs <= 2 * fullCat)} |`,
      `| peak RSS < 100 MB | ${rss.toFixed(0)} MB | awk ${fmtMb(get("full", "seed awk recipe", (x) => x.rssKb))} | ${yes(rss < 100)} |`,
      `| full scan under \`--max-old-space-size=64\` | ${smallOk ? `exit 0, ${fmtMs(median(small.map((s) => s.totalMs)))}` : "failed"}, ${smallRss.toFixed(0)} MB | — | ${yes(smallOk && smallRss < 100)} |`,
      `| \`--at --snapshot\` from a checkpoint < 1 s | ${fmtMs(atTotal)} | — | ${yes(atOk && atTotal < 1000)} |`,
      `| \`--at --snapshot\` bounded (< 100 MB) | first ${fmtMb(snapshot.rssKb)}, from a checkpoint ${fmtMb(atRss)} | — | ${yes(atOk && snapshot.code === 0 && atRss / 1024 < 100)} |`,
      `| output byte-identical to the awk recipe | late: ${same("late") ? "same bytes" : "DIFFERENT"}, full: ${same("full") ? "same bytes" : "DIFFERENT"} | — | ${yes(same("late") && same("full"))} |`,
    ];

    const section = [
      `Run ${new Date().toISOString().slice(0, 16)}Z with \`pnpm --filter catalyst-replay bench -- --size ${fmtBytes(args.sizeBytes).replace(" ", "")} --runs ${args.runs}\`.`,
      `Machine: ${machine()}; load average ${loadStart.join(", ")} at the start and ${loadEnd.join(", ")} at the end. ${loadNote()}`,
      `Log: ${fmtBytes(log.bytes)}, ${log.lines.toLocaleString("en-US")} lines in ${log.files.length} monthly files (\`events/2020-01.jsonl\` … \`2026-04.jsonl\`), v1, session and canonical shapes, in time order, warm page cache. The bin is the shipped \`dist/bin.cjs\` (a CommonJS start that runs a plain jsonl query and imports \`dist/bin.js\`, bundled and split at its lazy imports, for the rest). Index: ${fmtBytes(cacheBytes)} in \`$CATALYST_CACHE_DIR\`, built by the first run below; every other run reads it.`,
      `Each tool's stdout is a pipe read by the bench; "first line" is spawn → first stdout byte; peak RSS from \`/usr/bin/time -f %M\`. Medians of ${args.runs} runs, tools interleaved within each run. ${rgVersion ? `rg is ${rgVersion}.` : "rg is not installed, so its rows are skipped (install ripgrep to include them)."} Node ${process.version} has no \`module.enableCompileCache\` (it arrived in Node 22.1), so the bin cannot use the compile cache here. A first run indexes in up to ${Math.min(4, availableParallelism())} worker threads (one per core, at most 4; issue 25), which share the box's cores with everything else running.`,
      "",
      "| scenario | tool | first line | total | peak RSS | output |",
      "|---|---|---|---|---|---|",
      ...rows,
      "",
      "| goal | catalyst-replay | baseline | |",
      "|---|---|---|---|",
      ...goals,
      "",
      '- cat and rg are plain-scan baselines: cat prints every line, rg matches a fixed prefix, neither compares times. awk\'s recipe compares the raw text after `"ts":`; on this ordered, whole-second log it selects the same lines as catalyst-replay, so the outputs are compared byte for byte.',
      "",
    ].join("\n");
    // A reduced run (a loaded box) gets its own section, so the 1 GB figures stay beside it.
    const heading =
      args.sizeBytes >= 1e9
        ? HEADING
        : `Replay: \`catalyst-replay\` on a ${fmtBytes(args.sizeBytes)} log (P4 at a reduced size)`;
    process.stdout.write(`## ${heading}\n\n${section}\n`);
    if (args.write) await writeSection(heading, section);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
