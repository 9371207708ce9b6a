import { type ChildProcess, spawn } from "node:child_process";
import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRelayPublisher, type RelayPublisher } from "@catalyst/relay";
import { NATS_SERVER, type NatsServer, startNatsServer } from "@catalyst/test-utils";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { v1Line, writeTree } from "./log-fixture.test-helper.js";
import { childEnv, NODE_ARGS, REPO_ROOT, waitFor } from "./run-bin.test-helper.js";

// `catalyst-replay --nats --follow` end to end: a real broker with a token, a real publisher on a
// real catalyst dir, the real bin following while the test appends; stopped by SIGINT and SIGTERM,
// and left by its broker (SIGKILL), which it says in one line without the token.

const skipReason = NATS_SERVER
  ? null
  : "nats-server is not installed (apt-get install nats-server; .ci/run does)";
if (skipReason) console.warn(`catalyst-replay --nats --follow tests skipped: ${skipReason}`);

const TOKEN = "f0llow-s3cret";
let root = "";
let server: NatsServer | null = null;
let publisher: RelayPublisher | null = null;
let running: Running | null = null;
const month = () => join(root, "host", "events", "2026-04.jsonl");

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function start(args: string[]): Running {
  const child = spawn(process.execPath, [...NODE_ARGS, ...args], {
    cwd: REPO_ROOT,
    env: childEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (c: string) => {
    out += c;
  });
  child.stderr?.setEncoding("utf8").on("data", (c: string) => {
    err += c;
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

const line = (n: number, ts: string, worker = `CTL-${n}`): string =>
  v1Line(ts, "worker-status-changed", worker, { n });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "replay-nats-follow-"));
  if (skipReason) return;
  await writeFile(join(root, "token"), `${TOKEN}\n`);
  server = await startNatsServer(join(root, "store"), { args: ["--auth", TOKEN] });
  await writeTree(join(root, "host"), {
    "events/2026-04.jsonl": `${line(1, "2026-04-01T00:00:00Z")}\n${line(2, "2026-04-30T10:00:00Z")}\n`,
  });
  publisher = createRelayPublisher({
    servers: server.url,
    auth: { token: TOKEN },
    hostName: "alpha",
    catalystDir: join(root, "host"),
    stateDir: join(root, "state"),
  });
  await publisher.start();
  await waitFor("the history published", () => publisher!.stats().linesPublished >= 2, 30_000);
  await publisher.idle();
}, 60_000);

afterEach(async () => {
  if (running && running.child.exitCode === null) {
    running.child.kill("SIGKILL");
    await running.exited;
  }
  running = null;
});

afterAll(async () => {
  await publisher?.stop();
  await server?.kill();
  await rm(root, { recursive: true, force: true });
});

const base = () => ["--nats", server!.url, "--nats-token-file", join(root, "token"), "--format", "jsonl"];

describe.skipIf(skipReason !== null)("catalyst-replay --nats --follow", () => {
  it("prints the window, then live lines through the filters, and exits 0 on SIGINT", async () => {
    running = start([...base(), "--since", "2026-04-30", "--follow", "--with-host"]);
    const r = running;
    const seen = (text: string): boolean => r.stdout().includes(`{"host":"alpha","line":${text}}\n`);
    await waitFor("the window", () => seen(line(2, "2026-04-30T10:00:00Z")), 30_000);
    expect(r.stdout()).not.toContain("CTL-1");
    // Live: a line in the window, one before --since (left out, as locally), another after it.
    const live = line(3, "2026-04-30T11:00:00Z");
    const early = line(4, "2026-04-02T00:00:00Z");
    const later = line(5, "2026-05-01T00:00:00Z");
    await appendFile(month(), `${live}\n${early}\n${later}\n`);
    await waitFor("the live lines", () => seen(live) && seen(later), 30_000);
    r.child.kill("SIGINT");
    expect(await r.exited).toBe(0);
    expect(r.stdout()).not.toContain("CTL-4");
    expect(r.stdout().trimEnd().split("\n")).toHaveLength(3);
    expect(r.stderr()).toBe("");
  }, 60_000);

  it("--follow alone prints only new lines; --worker filters them; SIGTERM exits 0", async () => {
    running = start([...base(), "--follow", "--worker", "CTL-9"]);
    const r = running;
    // Nothing of the history; wait until the bin follows (a line it prints proves it).
    const first = line(9, "2026-04-30T12:00:00Z");
    await appendFile(month(), `${line(8, "2026-04-30T12:00:00Z")}\n${first}\n`);
    // The bin may have subscribed after these were published: write until one arrives.
    let n = 0;
    await waitFor(
      "a live CTL-9 line",
      () => {
        if (r.stdout().includes("CTL-9")) return true;
        if (n++ % 50 === 49) void appendFile(month(), `${line(9, "2026-04-30T12:00:01Z")}\n`);
        return false;
      },
      30_000,
    );
    r.child.kill("SIGTERM");
    expect(await r.exited).toBe(0);
    expect(r.stdout()).not.toContain("CTL-8");
    expect(r.stdout()).not.toContain("CTL-2");
    expect(r.stderr()).toBe("");
  }, 60_000);

  it("--follow --wait-for exits 0 on the first match", async () => {
    running = start([...base(), "--since", "2026-04-30", "--follow", "--wait-for", "--worker", "CTL-2"]);
    expect(await running.exited).toBe(0);
    expect(running.stdout()).toBe(`${line(2, "2026-04-30T10:00:00Z")}\n`);
  }, 60_000);

  it("says in one line, without the token, that it lost the broker, and exits 1", async () => {
    running = start([...base(), "--since", "2026-04-30", "--follow"]);
    const r = running;
    await waitFor("the window", () => r.stdout().includes("CTL-2"), 30_000);
    await publisher!.stop();
    publisher = null;
    await server!.kill();
    const code = await r.exited;
    expect(code).toBe(1);
    const err = r.stderr().trimEnd().split("\n");
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(
      /^catalyst-replay: lost the NATS broker at nats:\/\/127\.0\.0\.1:\d+ while following \(/,
    );
    expect(r.stderr()).not.toContain(TOKEN);
    server = null;
  }, 60_000);
});
