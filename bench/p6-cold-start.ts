// P6: cold start with 2,000 signal files. Time from spawning the process to the first `snapshot`
// frame (holding every worker) on an SSE client. Alternates the monitor from source (tsx), the
// built bin (dist/bin.js, when present) and a plain-Node baseline that reads the same files.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Child, MONITOR_FROM_SOURCE, median, ROOT, startListening } from "./support.ts";

export const P6_SHAPE = { orchestrators: 100, workers: 20 };

export interface ColdStart {
  /** spawn → listening line (ms) */
  listen: number;
  /** spawn → snapshot frame with every worker (ms) */
  snapshot: number;
  workers: number;
}

export interface P6Result {
  runs: number;
  /** Median spawn → exit of `dist/bin.js --version`: loading the bundle, no scan, no socket. */
  versionExit: number | null;
  variants: Array<{ name: string; starts: ColdStart[]; listen: number; snapshot: number }>;
}

async function writeFleet(dir: string): Promise<void> {
  const now = new Date().toISOString();
  for (let o = 0; o < P6_SHAPE.orchestrators; o++) {
    const orch = `orch-p6-${String(o).padStart(3, "0")}`;
    const workers = join(dir, "runs", orch, "workers");
    await mkdir(workers, { recursive: true });
    for (let w = 0; w < P6_SHAPE.workers; w++) {
      const ticket = `CTL-${String(w).padStart(4, "0")}`;
      const text = JSON.stringify(
        {
          ticket,
          orchestrator: orch,
          workerName: `${orch}-${ticket}`,
          status: ["researching", "implementing", "pr-created", "done"][w % 4],
          phase: 3,
          startedAt: "2026-04-14T18:37:51Z",
          updatedAt: now,
          pr: null,
          pid: null,
          lastHeartbeat: now,
          definitionOfDone: { unitTests: { exists: true, count: w } },
        },
        null,
        2,
      );
      await writeFile(join(workers, `${ticket}.json`), `${text}\n`);
    }
  }
}

/** Reads the first `snapshot` frame and counts its workers (both the monitor's and the baseline's shape). */
function firstSnapshot(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let buffer = "";
    const req = request(`${url}events`, { agent: false }, (res) => {
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (!block.includes("event: snapshot")) continue;
          const data = block
            .split("\n")
            .filter((l) => l.startsWith("data: "))
            .map((l) => l.slice(6))
            .join("\n");
          const snap = JSON.parse(data) as { orchestrators: unknown };
          const orchs = Array.isArray(snap.orchestrators)
            ? (snap.orchestrators as Array<{ workers: object }>).map((o) => o.workers)
            : Object.values(snap.orchestrators as Record<string, object>);
          req.destroy();
          resolve(orchs.reduce((n, w) => n + Object.keys(w).length, 0));
          return;
        }
      });
    });
    req.on("error", reject);
    req.end();
  });
}

async function coldStart(args: string[]): Promise<ColdStart> {
  const t0 = performance.now();
  let child: Child | null = null;
  try {
    child = await startListening(args);
    const listen = performance.now() - t0;
    const workers = await firstSnapshot(child.url);
    return { listen, snapshot: performance.now() - t0, workers };
  } finally {
    await child?.stop();
  }
}

/** Runs P6 `runs` times per variant, alternating. */
export async function runP6(runs = 5): Promise<P6Result> {
  const dir = await mkdtemp(join(tmpdir(), "bench-p6-"));
  try {
    await writeFleet(dir);
    const dist = join(ROOT, "apps", "monitor", "dist", "bin.js");
    const variants: Array<{ name: string; args: string[] }> = [
      {
        name: "catalyst-monitor from source (tsx, as P1/P2 run it)",
        args: [...MONITOR_FROM_SOURCE, "--dir", dir, "--port", "0"],
      },
      ...(existsSync(dist)
        ? [{ name: "catalyst-monitor built (`dist/bin.js`)", args: [dist, "--dir", dir, "--port", "0"] }]
        : []),
      {
        name: "baseline: plain Node reads + JSON.parse + node:http",
        args: [join(ROOT, "bench/p6-baseline.mjs"), dir],
      },
    ];
    const starts = variants.map(() => [] as ColdStart[]);
    const versionExits: number[] = [];
    // One unmeasured start of each first: it warms the page cache and tsx's transform cache.
    for (const v of variants) await coldStart(v.args);
    for (let r = 0; r < runs; r++) {
      for (let i = 0; i < variants.length; i++) starts[i]!.push(await coldStart(variants[i]!.args));
      if (existsSync(dist)) {
        const t0 = performance.now();
        spawnSync(process.execPath, [dist, "--version"], { stdio: "ignore" });
        versionExits.push(performance.now() - t0);
      }
    }
    return {
      runs,
      versionExit: versionExits.length > 0 ? median(versionExits) : null,
      variants: variants.map((v, i) => ({
        name: v.name,
        starts: starts[i]!,
        listen: median(starts[i]!.map((s) => s.listen)),
        snapshot: median(starts[i]!.map((s) => s.snapshot)),
      })),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
