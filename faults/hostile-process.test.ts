// Hostile resources and signals (issue 17): thousands of month files (descriptors held), a low
// `ulimit -n`, pid files that resolve into the catalyst dir, the stderr reader going away, SIGHUP
// and the other terminating signals, and `HEAD /events`, against the real monitor bin.
import { mkdir, readdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  getJson,
  killAll,
  listeningOn,
  logLine,
  logSeqs,
  openFds,
  openStream,
  orchId,
  rawRequestFull,
  removeDir,
  scaled,
  signalPath,
  signalText,
  snapshot,
  spawnBin,
  spawnMonitorWith,
  stopBin,
  tempDir,
  ticket,
  waitFor,
  workerOf,
  writeAtomic,
  writeFleet,
} from "./support.ts";

let root: string;
let dir: string;

/** `count` month files from 1000-01 on, each with one line; the newest is the current month. */
async function writeMonthFiles(target: string, count: number): Promise<string> {
  const events = join(target, "events");
  await mkdir(events, { recursive: true });
  for (let i = 0; i < count - 1; i++) {
    const year = 1000 + Math.floor(i / 12);
    await writeFile(
      join(events, `${year}-${String((i % 12) + 1).padStart(2, "0")}.jsonl`),
      logLine(i, new Date(Date.UTC(year, i % 12, 1))),
    );
  }
  const now = new Date();
  const current = join(
    events,
    `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, "0")}.jsonl`,
  );
  await writeFile(current, "");
  return current;
}

beforeAll(async () => {
  root = await tempDir("hostile-process");
  dir = join(root, "catalyst");
  await writeFleet(dir, 1, 2);
});

afterAll(async () => {
  killAll();
  await removeDir(root);
});

describe("descriptors", () => {
  it("10,000 month files hold a handful of descriptors, and new lines still arrive", async () => {
    const count = scaled(10_000, 1_000);
    const many = join(root, "many");
    await writeFleet(many, 1, 1);
    const current = await writeMonthFiles(many, count);
    const run = spawnMonitorWith(["--dir", many, "--port", "0", "--history", "0"]);
    try {
      const { url } = await listeningOn(run);
      const stream = openStream(url);
      await waitFor("the stream", () => stream.frames.some((f) => f.event === "snapshot"));
      await writeFile(current, logLine(99_001));
      await waitFor("the new line", () => logSeqs(stream.frames).includes(99_001), 60_000);
      const fds = openFds(run.child.pid!);
      const logFds = fds.filter((p) => p.startsWith(join(many, "events")));
      console.log(
        `[hostile-process] ${count} month files: ${fds.length} fds open in all, ${logFds.length} on log files`,
      );
      expect(logFds.length).toBeLessThanOrEqual(5);
      expect(fds.length).toBeLessThan(200);
      stream.close();
    } finally {
      await stopBin(run);
    }
  });

  it("with ulimit -n 1024 and 1,010 month files the monitor accepts HTTP and follows the log", async () => {
    const tight = join(root, "tight");
    await writeFleet(tight, 1, 1);
    const current = await writeMonthFiles(tight, 1_010);
    const run = spawnMonitorWith(["--dir", tight, "--port", "0", "--history", "7d"], { fdLimit: 1024 });
    try {
      const { url } = await listeningOn(run);
      const started = Date.now();
      const health = await getJson<{ status: string }>(`${url}healthz`);
      console.log(
        `[hostile-process] ulimit -n 1024, 1,010 month files: /healthz answered in ${Date.now() - started} ms`,
      );
      expect(health.status).toBeDefined();
      const stream = openStream(url);
      await waitFor("the stream", () => stream.frames.some((f) => f.event === "snapshot"));
      await writeFile(current, logLine(99_002));
      await waitFor("the new line", () => logSeqs(stream.frames).includes(99_002), 60_000);
      stream.close();
      // If descriptors ever run out, the log says so in words.
      if (/EMFILE/.test(run.stderr())) expect(run.stderr()).toMatch(/out of file descriptors/);
    } finally {
      await stopBin(run);
    }
  });
});

describe("pid file", () => {
  it("refuses a pid file that resolves inside the catalyst dir, with exit 2 and one clear line", async () => {
    const linkedDir = join(root, "linked-dir");
    await symlink(dir, linkedDir);
    const runsLink = join(root, "runs-link");
    await symlink(join(dir, "runs"), runsLink);
    const pidLink = join(root, "pid-link");
    await symlink(join(dir, "monitor.pid"), pidLink);
    const cases: Array<[string, string[]]> = [
      ["a symlinked --dir", ["--dir", linkedDir, "--pid-file", join(dir, "a.pid")]],
      ["a pid path inside through a symlinked --dir", ["--dir", dir, "--pid-file", join(linkedDir, "b.pid")]],
      ["`..` through a symlinked directory", ["--dir", dir, "--pid-file", `${runsLink}/../c.pid`]],
      ["a symlinked pid path", ["--dir", dir, "--pid-file", pidLink]],
    ];
    for (const [what, args] of cases) {
      const run = spawnBin("monitor", [...args, "--port", "0"]);
      const { code } = await run.exit;
      expect(code, what).toBe(2);
      expect(run.stderr(), what).toMatch(
        /^catalyst-monitor: --pid-file .* inside the catalyst dir .*never writes there\n$/,
      );
      expect(run.stderr(), what).not.toMatch(/\n\s+at /);
    }
    expect((await readdir(dir)).filter((n) => n.endsWith(".pid"))).toEqual([]);
  });
});

describe("signals and stdio", () => {
  it("keeps running when its stderr reader goes away (EPIPE)", async () => {
    const run = spawnMonitorWith(["--dir", dir, "--port", "0"], { env: { CATALYST_MONITOR_DEBUG: "1" } });
    try {
      const { url } = await listeningOn(run);
      run.child.stderr!.destroy();
      // Each connect and disconnect writes a debug line to the now broken stderr; SIGHUP writes one too.
      for (let i = 0; i < 5; i++) {
        const stream = openStream(url);
        await waitFor("a snapshot", () => stream.frames.length > 0);
        stream.close();
      }
      run.child.kill("SIGHUP");
      const health = await waitFor("healthz after EPIPE", async () => {
        try {
          return await getJson<{ version: string }>(`${url}healthz`);
        } catch {
          return undefined;
        }
      });
      expect(health.version).toBeDefined();
      expect(run.child.exitCode).toBeNull();
    } finally {
      await stopBin(run);
    }
  });

  it("SIGHUP reopens and carries on: a log line, the SSE client stays, later changes arrive", async () => {
    const run = spawnMonitorWith(["--dir", dir, "--port", "0"]);
    try {
      const { url } = await listeningOn(run);
      const stream = openStream(url);
      await waitFor("the snapshot", () => stream.frames.some((f) => f.event === "snapshot"));
      for (let i = 1; i <= 3; i++) {
        run.child.kill("SIGHUP");
        await waitFor(
          "the SIGHUP log line",
          () => (run.stderr().match(/SIGHUP: re-opening/g) ?? []).length === i,
        );
      }
      await writeAtomic(
        signalPath(dir, orchId(0), ticket(1)),
        signalText(orchId(0), ticket(1), "validating"),
      );
      await waitFor(
        "the change after SIGHUP",
        async () => workerOf(await snapshot(url), orchId(0), ticket(1))?.status === "validating",
      );
      await waitFor("the delta on the same stream", () =>
        stream.frames.some(
          (f) => f.event === "worker-update" && JSON.stringify(f.data).includes("validating"),
        ),
      );
      expect(stream.opened()).toBe(1);
      expect(run.child.exitCode).toBeNull();
      stream.close();
    } finally {
      await stopBin(run);
    }
  });

  for (const signal of ["SIGINT", "SIGTERM", "SIGQUIT", "SIGUSR2"] as const) {
    it(`${signal} stops cleanly: a log line, exit 0, the pid file removed`, async () => {
      const pidFile = join(root, `monitor-${signal}.pid`);
      const run = spawnMonitorWith(["--dir", dir, "--port", "0", "--pid-file", pidFile]);
      await listeningOn(run);
      await waitFor("the pid file", async () => (await readdir(root)).includes(`monitor-${signal}.pid`));
      const sent = Date.now();
      run.child.kill(signal);
      const { code, signal: killedBy } = await run.exit;
      console.log(`[hostile-process] ${signal}: exited ${code} in ${Date.now() - sent} ms`);
      expect({ code, killedBy }).toEqual({ code: 0, killedBy: null });
      expect(run.stderr()).toContain(`shutting down`);
      expect(run.stderr()).toContain(signal);
      expect((await readdir(root)).includes(`monitor-${signal}.pid`)).toBe(false);
    });
  }

  it("HEAD /events answers the stream's headers with no body and no stack trace", async () => {
    const run = spawnMonitorWith(["--dir", dir, "--port", "0"]);
    try {
      const { port } = await listeningOn(run);
      for (let i = 0; i < 3; i++) {
        const res = await rawRequestFull(port, { method: "HEAD", path: "/events" });
        expect(res.status).toBe(200);
        expect(res.headers["content-type"]).toContain("text/event-stream");
        expect(res.body).toBe("");
      }
      const after = await rawRequestFull(port, { path: "/healthz" });
      expect(after.status).toBe(200);
      expect(run.stderr()).not.toMatch(/ERR_HTTP_HEADERS_SENT|\n\s+at /);
    } finally {
      await stopBin(run);
    }
  });
});
