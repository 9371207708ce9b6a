// A real Prometheus (Debian's `prometheus`) scrapes a real monitor on an ephemeral port; its HTTP
// API must return the fleet's numbers, and `promtool check metrics` must accept /metrics.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Snapshot } from "@catalyst/schema";
import {
  killAllSpawned,
  type MonitorRun,
  spawnCommand,
  startMonitorBin,
  waitUntil,
} from "@catalyst/test-utils";
import { afterAll, describe, expect, it } from "vitest";

const find = (name: string) =>
  [`/usr/bin/${name}`, `/usr/local/bin/${name}`, `/usr/sbin/${name}`].find((p) => existsSync(p)) ?? null;
const PROMETHEUS = find("prometheus");
const PROMTOOL = find("promtool");
const skipReason =
  PROMETHEUS === null || PROMTOOL === null
    ? "Debian's prometheus is not installed (apt-get install prometheus)"
    : null;
if (skipReason) console.warn(`prometheus test skipped: ${skipReason}`);

const TOKEN = "prom-test-token-123";
const ORCHS = ["orch-alpha", "orch-beta"];
const STATUSES = ["implementing", "validating", "done", "failed", "pr-created"];

/** A free loopback port (bound, then released for Prometheus to take). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

/** A still fleet: two orchestrators, 7 workers each, every worker with a cost and tokens. */
async function writeFleet(dir: string): Promise<void> {
  for (const [o, orch] of ORCHS.entries()) {
    const workers = join(dir, "runs", orch, "workers");
    await mkdir(workers, { recursive: true });
    for (let w = 0; w < 7; w++) {
      const ticket = `CTL-${o * 10 + w}`;
      const status = STATUSES[w % STATUSES.length]!;
      await writeFile(
        join(workers, `${ticket}.json`),
        JSON.stringify({
          ticket,
          orchestrator: orch,
          status,
          phase: status === "done" ? 6 : 3,
          // Under a minute of work: the spend tracker books each cost at the worker's last update
          // (now), so "today" holds all of it even just after midnight.
          startedAt: new Date(Date.now() - 30_000).toISOString(),
          updatedAt: new Date().toISOString(),
          pr: w % 2 === 0 ? { number: 100 + w, ciStatus: "passing" } : null,
          cost: {
            costUSD: 0.25 * (w + 1) + o,
            inputTokens: 1000 * (w + 1),
            outputTokens: 50,
            cacheReadTokens: 7,
          },
        }),
      );
    }
  }
}

interface PromVector {
  status: string;
  data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

describe.skipIf(skipReason !== null)("Prometheus scrapes the monitor", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    killAllSpawned();
  });

  it("its HTTP API returns the fleet's numbers, promtool accepts /metrics, and --budget-usd raises a row", async () => {
    const root = await mkdtemp(join(tmpdir(), "prom-e2e-"));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const dir = join(root, "catalyst");
    await writeFleet(dir);
    const tokenFile = join(root, "token");
    await writeFile(tokenFile, `${TOKEN}\n`);
    const monitor: MonitorRun = await startMonitorBin(dir, {
      args: ["--token-file", tokenFile, "--history", "0", "--budget-usd", "5"],
    });
    cleanups.push(() => monitor.stop());
    const auth = { authorization: `Bearer ${TOKEN}` };

    // The fleet as the monitor has it, once loaded.
    const snapshot = await waitUntil(
      "the monitor to load 14 workers and raise the budget row",
      async () => {
        const s = (await (await fetch(`${monitor.url}api/snapshot`, { headers: auth })).json()) as Snapshot;
        const n = s.orchestrators.reduce((a, o) => a + Object.keys(o.workers).length, 0);
        const budgeted = s.needsYou.some((row) => row.reason === "budget");
        return s.loading === undefined && n === 14 && budgeted ? s : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 50 },
    );
    const workers = snapshot.orchestrators.flatMap((o) => Object.values(o.workers));
    const cost = workers.reduce((a, w) => a + (w.cost?.costUSD ?? 0), 0);

    const metricsRes = await fetch(`${monitor.url}metrics`, { headers: auth });
    expect(metricsRes.status).toBe(200);
    const text = await metricsRes.text();
    const unauthorised = await fetch(`${monitor.url}metrics`);
    expect(unauthorised.status).toBe(401);
    await unauthorised.body?.cancel();

    const check = spawnSync(PROMTOOL!, ["check", "metrics"], {
      input: text,
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(`${check.stdout}${check.stderr}`.trim()).toBe("");
    expect(check.status).toBe(0);

    const port = await freePort();
    const config = join(root, "prometheus.yml");
    await writeFile(
      config,
      [
        "global:",
        "  scrape_interval: 1s",
        "  scrape_timeout: 1s",
        "scrape_configs:",
        "  - job_name: catalyst",
        "    authorization:",
        `      credentials_file: ${tokenFile}`,
        "    static_configs:",
        `      - targets: ["127.0.0.1:${monitor.port}"]`,
        "",
      ].join("\n"),
    );
    const prom = spawnCommand(PROMETHEUS!, [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(root, "tsdb")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ]);
    cleanups.push(async () => {
      if (prom.child.exitCode === null && prom.child.signalCode === null) {
        prom.child.kill("SIGTERM");
        await prom.exit;
      }
    });
    const query = async (q: string): Promise<PromVector["data"]["result"] | undefined> => {
      if (prom.child.exitCode !== null) throw new Error(`prometheus exited: ${prom.stderr().slice(-800)}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`);
        if (!res.ok) return undefined;
        const body = (await res.json()) as PromVector;
        return body.status === "success" && body.data.result.length > 0 ? body.data.result : undefined;
      } catch {
        return undefined; // not listening yet
      }
    };

    const total = await waitUntil(
      "Prometheus to have scraped the workers",
      () => query("sum(catalyst_workers)"),
      {
        timeoutMs: 60_000,
        intervalMs: 200,
      },
    );
    expect(Number(total[0]!.value[1])).toBe(workers.length);
    const byStatus = await waitUntil("workers by status", () => query("sum by (status) (catalyst_workers)"));
    const expected: Record<string, number> = {};
    for (const w of workers) expected[w.status] = (expected[w.status] ?? 0) + 1;
    expect(Object.fromEntries(byStatus.map((r) => [r.metric.status, Number(r.value[1])]))).toEqual(expected);
    const spent = await waitUntil("cost", () => query("sum(catalyst_cost_usd)"));
    expect(Number(spent[0]!.value[1])).toBeCloseTo(cost, 6);
    const perOrch = await waitUntil("cost per orchestrator", () => query("catalyst_cost_usd"));
    expect(perOrch.map((r) => r.metric.orchestrator).sort()).toEqual(ORCHS);
    const up = await waitUntil("the target up", () => query('up{job="catalyst"}'));
    expect(up[0]!.value[1]).toBe("1");

    // The fleet spent more than --budget-usd 5 today: one fleet-level budget row, scraped too.
    const budgetRow = snapshot.needsYou.find((n) => n.reason === "budget");
    expect(budgetRow?.message).toMatch(/^spent \$\d+\.\d\d today, over the daily budget of \$5\.00$/);
    const budget = await waitUntil("the budget row in Prometheus", () =>
      query('catalyst_needs_you{kind="budget"}'),
    );
    expect(budget[0]!.value[1]).toBe("1");
  }, 120_000);
});
