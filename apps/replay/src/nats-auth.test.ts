import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  killAllSpawned,
  NATS_SERVER,
  type NatsServer,
  spawnBin,
  startNatsServer,
  waitUntil,
} from "@catalyst/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { v1Line, writeTree } from "./log-fixture.test-helper.js";
import { runBin } from "./run-bin.test-helper.js";

// Credentials end to end: real nats-server brokers started with a token, with a user and password,
// and with TLS (a CA and a server certificate made by openssl here); the real publisher
// (`catalyst-monitor --publish`, a child process) and `catalyst-replay --nats` with the right
// credentials get through, with wrong ones both exit 1 with a clear line, and no secret is ever in
// what they print.

const OPENSSL = ["/usr/bin/openssl", "/usr/local/bin/openssl"].find((p) => existsSync(p)) ?? null;
const skipReason = !NATS_SERVER
  ? "nats-server is not installed (apt-get install nats-server; .ci/run does)"
  : null;
if (skipReason) console.warn(`catalyst-replay --nats credentials tests skipped: ${skipReason}`);
const tlsSkip = skipReason ?? (OPENSSL ? null : "openssl is not installed, so no test certificates");
if (tlsSkip && !skipReason) console.warn(`catalyst-replay --nats TLS test skipped: ${tlsSkip}`);

const TOKEN = "tok-s3cret-9f2c";
const PASSWORD = "pw-s3cret-77ab";
const SECRETS = [TOKEN, PASSWORD, "wrong-s3cret-1"];
const LINES = [0, 1, 2].map((i) =>
  v1Line(`2026-04-14T19:0${i}:00Z`, "worker-started", `CTL-${i}`, null, "orch-auth"),
);
const EXPECTED = LINES.map((l) => `${l}\n`).join("");

let root = "";
let hostDir = "";
const servers: NatsServer[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "replay-nats-auth-"));
  hostDir = join(root, "host");
  await writeTree(hostDir, { "events/2026-04.jsonl": `${LINES.join("\n")}\n` });
  await writeFile(join(root, "token"), `${TOKEN}\n`);
  await writeFile(join(root, "password"), `${PASSWORD}\n`);
  await writeFile(join(root, "wrong"), "wrong-s3cret-1\n");
});

afterAll(async () => {
  killAllSpawned();
  for (const s of servers) await s.kill();
  await rm(root, { recursive: true, force: true });
});

function assertNoSecret(...outputs: string[]): void {
  for (const text of outputs) for (const secret of SECRETS) expect(text).not.toContain(secret);
}

/** `catalyst-monitor --publish` as a child process, until the broker holds the host's lines; then stopped. */
async function publishWith(url: string, args: string[], env: Record<string, string>, name: string) {
  const monitor = spawnBin(
    "monitor",
    ["--dir", hostDir, "--port", "0", "--history", "0", "--publish", url, "--host-name", "h1", ...args],
    { env: { CATALYST_CACHE_DIR: join(root, `cache-${name}`), ...env } },
  );
  try {
    await waitUntil(
      "the monitor publishing (or failing)",
      () => monitor.stderr().includes("publishing to NATS JetStream") || monitor.child.exitCode !== null,
      60_000,
    );
    return monitor;
  } catch (error) {
    monitor.child.kill("SIGKILL");
    throw new Error(`${String(error)}\n${monitor.stderr()}`);
  }
}

/** Poll `catalyst-replay --nats` until it prints the host's lines. */
async function replayUntilComplete(args: string[], env: Record<string, string> = {}): Promise<string> {
  let last = { code: 0 as number | null, stdout: "", stderr: "" };
  await expect
    .poll(
      async () => {
        const res = await runBin(["--since", "2026-04-14", "--format", "jsonl", ...args], env);
        last = { code: res.code, stdout: res.stdout.toString("utf8"), stderr: res.stderr };
        return last.stdout;
      },
      { timeout: 60_000, interval: 300 },
    )
    .toBe(EXPECTED);
  expect(last.code, last.stderr).toBe(0);
  return last.stderr;
}

async function expectRefused(
  url: string,
  monitorArgs: string[],
  monitorEnv: Record<string, string>,
  replayArgs: string[],
  replayEnv: Record<string, string>,
  message: RegExp,
  name: string,
): Promise<void> {
  const monitor = await publishWith(url, monitorArgs, monitorEnv, name);
  const exit = await monitor.exit;
  expect(exit.code, monitor.stderr()).toBe(1);
  expect(monitor.stderr()).toMatch(message);
  assertNoSecret(monitor.stdout(), monitor.stderr());
  const replay = await runBin(["--nats", url, "--since", "2026-04-14", ...replayArgs], replayEnv);
  expect(replay.code).toBe(1);
  expect(replay.stderr).toMatch(message);
  expect(replay.stderr.trim().split("\n")).toHaveLength(1);
  assertNoSecret(replay.stdout.toString("utf8"), replay.stderr);
}

async function stopMonitor(monitor: ReturnType<typeof spawnBin>): Promise<void> {
  monitor.child.kill("SIGTERM");
  await monitor.exit;
  assertNoSecret(monitor.stdout(), monitor.stderr());
}

describe.skipIf(skipReason !== null)("NATS credentials, end to end", () => {
  it("a token: NATS_TOKEN for the publisher, --nats-token-file for replay; a wrong one is refused", async () => {
    const server = await startNatsServer(join(root, "store-token"), { args: ["--auth", TOKEN] });
    servers.push(server);
    const monitor = await publishWith(server.url, [], { NATS_TOKEN: TOKEN }, "token");
    expect(monitor.stderr()).toContain("token from NATS_TOKEN");
    const stderr = await replayUntilComplete([
      "--nats",
      server.url,
      "--nats-token-file",
      join(root, "token"),
    ]);
    assertNoSecret(stderr);
    await stopMonitor(monitor);

    await expectRefused(
      server.url,
      ["--nats-token-file", join(root, "wrong")],
      {},
      [],
      { NATS_TOKEN: "wrong-s3cret-1" },
      /the NATS broker at nats:\/\/127\.0\.0\.1:\d+ refused the credentials \(Authorization Violation\)/,
      "token-wrong",
    );
    // No credentials at all is refused the same way.
    const none = await runBin(["--nats", server.url, "--since", "2h"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/refused the credentials/);
  }, 180_000);

  it("a user and password: files for the publisher, NATS_USER/NATS_PASSWORD for replay", async () => {
    const server = await startNatsServer(join(root, "store-user"), {
      args: ["--user", "catalyst", "--pass", PASSWORD],
    });
    servers.push(server);
    const monitor = await publishWith(
      server.url,
      ["--nats-user", "catalyst", "--nats-password-file", join(root, "password")],
      {},
      "user",
    );
    expect(monitor.stderr()).toContain("user catalyst, password from --nats-password-file");
    await replayUntilComplete(["--nats", server.url], { NATS_USER: "catalyst", NATS_PASSWORD: PASSWORD });
    await stopMonitor(monitor);

    await expectRefused(
      server.url,
      [],
      { NATS_USER: "catalyst", NATS_PASSWORD: "wrong-s3cret-1" },
      ["--nats-user", "catalyst", "--nats-password-file", join(root, "wrong")],
      {},
      /refused the credentials \(Authorization Violation\)/,
      "user-wrong",
    );
  }, 180_000);

  it.skipIf(tlsSkip !== null)(
    "TLS: a tls:// URL with the CA works; without the CA it fails saying TLS failed",
    async () => {
      const dir = join(root, "pki");
      makeCertificates(dir);
      const server = await startNatsServer(join(root, "store-tls"), {
        args: ["--tls", "--tlscert", join(dir, "server.pem"), "--tlskey", join(dir, "server-key.pem")],
        scheme: "tls",
      });
      servers.push(server);
      const ca = ["--nats-tls-ca", join(dir, "ca.pem")];
      const monitor = await publishWith(server.url, ca, {}, "tls");
      expect(monitor.stderr()).toContain(`TLS with CA ${join(dir, "ca.pem")}`);
      await replayUntilComplete(["--nats", server.url, ...ca]);
      // A nats:// URL with --nats-tls-ca turns TLS on as well.
      await replayUntilComplete(["--nats", server.url.replace("tls://", "nats://"), ...ca]);
      await stopMonitor(monitor);

      await expectRefused(
        server.url,
        [],
        {},
        [],
        {},
        /^(catalyst-monitor: could not start: --publish: )?.*TLS with the NATS broker at tls:\/\/127\.0\.0\.1:\d+ failed \(/m,
        "tls-wrong",
      );
    },
    180_000,
  );
});

/** A CA and a server certificate for 127.0.0.1 signed by it, in `dir`. */
function makeCertificates(dir: string): void {
  execFileSync("mkdir", ["-p", dir]);
  const run = (...args: string[]) => execFileSync(OPENSSL!, args, { cwd: dir, stdio: "pipe" });
  run(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca-key.pem",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=catalyst test CA",
  );
  run(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "server-key.pem",
    "-out",
    "server.csr",
    "-subj",
    "/CN=127.0.0.1",
  );
  execFileSync("sh", ["-c", "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > ext.cnf"], { cwd: dir });
  run(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca-key.pem",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "2",
    "-extfile",
    "ext.cnf",
  );
}
