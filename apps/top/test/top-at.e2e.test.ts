// `catalyst-top --url <monitor> --at <ts>`: the fleet at a past time from a real monitor's
// `/api/snapshot?at=` (a real monitor bin on an ephemeral port, a real temp catalyst dir and cache
// dir, catalyst-top as a real child process with a pipe for stdout, so no terminal is needed).
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { binNodeArgs, killAllSpawned, type MonitorRun, startMonitorBin } from "@catalyst/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const ORCH = "orch-at";
const T0 = Date.parse("2026-04-14T01:00:00Z");
const MIN = 60_000;

function line(ms: number, event: string, worker: string | null, detail: unknown): string {
  const ts = new Date(ms).toISOString().replace(".000Z", "Z");
  return JSON.stringify({ ts, orchestrator: ORCH, worker, event, detail });
}

let root = "";
let monitor: MonitorRun | null = null;
let env: NodeJS.ProcessEnv = {};

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "top-at-"));
  const dir = join(root, "catalyst");
  await mkdir(join(dir, "events"), { recursive: true });
  const lines = [
    line(T0, "orchestrator-started", null, { tickets: ["AT-1"] }),
    line(T0 + MIN, "worker-dispatched", "AT-1", null),
    line(T0 + 2 * MIN, "worker-status-change", "AT-1", { from: "dispatched", to: "implementing" }),
    line(T0 + 10 * MIN, "worker-status-change", "AT-1", { from: "implementing", to: "validating" }),
  ];
  await writeFile(join(dir, "events", "2026-04.jsonl"), `${lines.join("\n")}\n`);
  env = { CATALYST_CACHE_DIR: join(root, "cache"), NO_COLOR: "1" };
  monitor = await startMonitorBin(dir, { env, args: ["--history", "0"] });
}, 90_000);

afterAll(async () => {
  await monitor?.stop();
  killAllSpawned();
  if (root) await rm(root, { recursive: true, force: true });
});

async function top(args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [...binNodeArgs("top"), ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env, GITHUB_TOKEN: "", GH_TOKEN: "" },
    timeout: 60_000,
  });
  return stdout;
}

describe("catalyst-top --url --at", () => {
  it("shows the fleet as the monitor's event log had it then, not live", async () => {
    const url = (monitor as MonitorRun).url;
    // Live, AT-1 is validating (since T0+10m); at T0+5m it was implementing. One child only (CI time).
    const at = new Date(T0 + 5 * MIN).toISOString();
    const table = await top(["--url", url, "--at", at, "--once"]);
    expect(table).toContain(`viewing ${at}`);
    expect(table).toMatch(/AT-1.*implementing/);
    expect(table).not.toContain("validating");
  }, 90_000);
});
