import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AlertsResponse, HealthResponse } from "@catalyst/schema";
import {
  type AlertReceiver,
  killAllSpawned,
  type MonitorRun,
  spawnBin,
  startAlertReceiver,
  startMonitorBin,
  waitUntil,
  writeAtomic,
} from "@catalyst/test-utils";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { runNotifyCommand } from "./cli/notify-command.js";

// The real bin, a real catalyst dir and a Hono server as the webhook: a failure that lasts is
// sent once; a monitor killed while the request is in flight sends the same alert again after a
// restart, with the same key, and nothing else; restarted with the incident open and delivered it
// sends nothing; and a webhook that is down is shown failing in /healthz and gets the alert once
// it is back.

const ORCH = "orch-alerts";
let receiver: AlertReceiver;
let dir: string;
let state: string;
let monitors: MonitorRun[] = [];

beforeEach(async () => {
  receiver = await startAlertReceiver();
  dir = await mkdtemp(join(tmpdir(), "notify-e2e-"));
  state = await mkdtemp(join(tmpdir(), "notify-e2e-state-"));
  await mkdir(join(dir, "runs", ORCH, "workers"), { recursive: true });
});
afterEach(async () => {
  for (const m of monitors) await m.stop();
  monitors = [];
  await receiver.close();
  await rm(dir, { recursive: true, force: true });
  await rm(state, { recursive: true, force: true });
});
afterAll(() => killAllSpawned());

async function writeWorker(ticket: string, status: string, orchestrator = ORCH): Promise<void> {
  const now = new Date().toISOString();
  const signal = {
    ticket,
    orchestrator,
    status,
    phase: 3,
    startedAt: now,
    updatedAt: now,
    pr: null,
    pid: null,
  };
  await mkdir(join(dir, "runs", orchestrator, "workers"), { recursive: true });
  await writeAtomic(
    join(dir, "runs", orchestrator, "workers", `${ticket}.json`),
    `${JSON.stringify(signal)}\n`,
  );
}

async function start(): Promise<MonitorRun> {
  const run = await startMonitorBin(dir, {
    args: [
      "--history",
      "0",
      "--notify-webhook",
      `${receiver.url}/hook/SECRET-PATH?token=SECRET-Q`,
      "--notify-hold",
      "300ms",
    ],
    env: { XDG_STATE_HOME: state },
  });
  monitors.push(run);
  return run;
}

async function json<T>(url: string): Promise<T> {
  const res = await fetch(url);
  return (await res.json()) as T;
}

const health = (run: MonitorRun) => json<HealthResponse>(`${run.url}healthz`);

describe("catalyst-monitor alerts", () => {
  it("sends a lasting failure once, even across a kill -9 mid-request and a restart, and retries a webhook that was down", async () => {
    await writeWorker("CTL-1", "implementing");
    const first = await start();
    await waitUntil("alerting to start", async () => (await health(first)).notify !== undefined);

    // The receiver kills the monitor once the alert's request is in, before it answers: the
    // monitor cannot know whether the alert was taken.
    receiver.beforeAnswer(async () => {
      receiver.beforeAnswer(null);
      first.child.kill("SIGKILL");
      await first.exit;
      return "drop" as const;
    });
    await writeWorker("CTL-1", "failed");
    expect((await first.exit).signal).toBe("SIGKILL");
    expect(receiver.arrived).toHaveLength(1);
    expect(receiver.received).toHaveLength(0);
    const incident = `failed|${ORCH}|CTL-1`;
    expect(JSON.parse(receiver.arrived[0]!.body)).toMatchObject({
      kind: "failed",
      state: "firing",
      incident,
      worker: "CTL-1",
      url: `${first.url}?orch=${ORCH}&worker=CTL-1`,
    });

    // Restarted on the same state dir, the worker still failed: the alert is sent again (not
    // lost), as the same alert with the same key, and no second alert follows.
    const second = await start();
    await receiver.waitForCount(1, 30_000);
    await waitUntil("the restarted monitor to settle", async () => {
      const n = (await health(second)).notify;
      const channel = n?.channels[0];
      return n?.openIncidents === 1 && n.pending === 0 && channel?.queued === 0 && channel.sent === 1;
    });
    const requests = receiver.arrived.filter((r) => JSON.parse(r.body).incident === incident);
    expect(requests).toHaveLength(2);
    // What a receiver that deduplicates sees: one key, one alert.
    expect(new Set(requests.map((r) => r.headers["idempotency-key"] ?? r.body)).size).toBe(1);
    expect(requests[0]!.headers["idempotency-key"]).toMatch(/^"[A-Za-z0-9_-]{32}"$/);
    expect(requests[1]!.body).toBe(requests[0]!.body);
    expect((await health(second)).notify?.alertsSent).toBe(0);
    await second.stop();

    // Restarted again, the incident still open and delivered: nothing is sent.
    const third = await start();
    await waitUntil("the incident restored", async () => {
      const n = (await health(third)).notify;
      return n !== undefined && n.openIncidents === 1 && n.pending === 0;
    });
    expect((await health(third)).notify?.alertsSent).toBe(0);
    expect(receiver.received).toHaveLength(1);

    // The webhook goes down; a new failure (another orchestrator: the same one within 30 s would be
    // counted into the open incident) is retried and shown failing, then delivered.
    receiver.respondWith(503);
    await writeWorker("CTL-2", "failed", "orch-other");
    await waitUntil("the channel to fail", async () => {
      const h = await health(third);
      return h.status === "degraded" && h.notify?.channels[0]?.state === "failing";
    });
    receiver.respondWith(200);
    const got = await receiver.waitForCount(2, 60_000);
    expect(JSON.parse(got[1]!.body)).toMatchObject({ kind: "failed", worker: "CTL-2" });
    await waitUntil(
      "the channel to recover",
      async () => (await health(third)).notify?.channels[0]?.state === "ok",
    );
    const alerts = await json<AlertsResponse>(`${third.url}api/alerts`);
    expect(alerts).toMatchObject({
      lastSeq: 1,
      open: 2,
      alerts: [{ seq: 1, kind: "failed", worker: "CTL-2" }],
    });
    expect((await json<AlertsResponse>(`${third.url}api/alerts?after=1`)).alerts).toEqual([]);

    // Secrets in the URL never reach the log or /healthz.
    const text = `${first.stderr()}${second.stderr()}${third.stderr()}${JSON.stringify(await health(third))}`;
    expect(text).not.toContain("SECRET");
    expect(text).toContain("alert delivered");
  }, 180_000);

  it("notify test says which channel worked and exits 1 when one failed", async () => {
    const out = join(dir, "..", `notify-test-${process.pid}.json`);
    const ok = spawnBin("monitor", [
      "notify",
      "test",
      "--notify-webhook",
      receiver.url,
      "--notify-exec",
      `cat > ${out}`,
    ]);
    expect((await ok.exit).code).toBe(0);
    expect(ok.stdout()).toContain(`ok      webhook ${receiver.url}/`);
    expect(ok.stdout()).toContain("ok      exec cat");
    expect(JSON.parse(receiver.received[0]!.body)).toMatchObject({ kind: "test" });
    await rm(out, { force: true });

    const bad = spawnBin("monitor", [
      "notify",
      "test",
      "--notify-webhook",
      receiver.url,
      "--notify-exec",
      "exit 4",
    ]);
    expect((await bad.exit).code).toBe(1);
    expect(bad.stdout()).toContain("FAILED  exec exit: exit code 4");

    // Usage errors in-process (no bin start needed): none configured, a bad URL never echoed.
    const io = () => {
      const out = { stdout: "", stderr: "" };
      return {
        out,
        io: {
          env: {},
          stdout: (t: string) => {
            out.stdout += t;
          },
          stderr: (t: string) => {
            out.stderr += t;
          },
        },
      };
    };
    const none = io();
    expect(await runNotifyCommand(["test"], none.io, dir)).toBe(2);
    expect(none.out.stderr).toContain("no alert channel configured");
    const badUrl = io();
    expect(await runNotifyCommand(["test", "--notify-webhook", "ftp://x/SECRET"], badUrl.io, dir)).toBe(2);
    expect(badUrl.out.stderr).toContain("--notify-webhook: expected an http:// or https:// URL");
    expect(badUrl.out.stderr).not.toContain("SECRET");
  }, 60_000);
});
