import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRelayConsumer } from "@catalyst/relay";
import { NATS_SERVER, startNatsServer, waitUntil } from "@catalyst/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { parseCliArgs } from "./cli/parse-args.js";
import { createLogger } from "./logger.js";
import { startMonitor } from "./start.js";

const skipReason = NATS_SERVER
  ? null
  : "nats-server is not installed (apt-get install nats-server; .ci/run does)";
if (skipReason) console.warn(`catalyst-monitor --publish test skipped: ${skipReason}`);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

describe("catalyst-monitor --publish", () => {
  it("checks the URL and the host name, never echoing the URL", () => {
    const parse = (...args: string[]) => parseCliArgs(args, {}, "/home/u");
    expect(parse("--publish", "nats://127.0.0.1:4222", "--host-name", "box-1")).toMatchObject({
      publish: "nats://127.0.0.1:4222",
      hostName: "box-1",
    });
    expect(parse().publish).toBeNull();
    expect(parse("--publish", "nats://a:4222,nats://b:4222").publish).toBe("nats://a:4222,nats://b:4222");
    expect(() => parse("--publish", "http://user:s3cret@x")).toThrow(/^--publish must be a NATS URL/);
    expect(() => parse("--publish", "http://user:s3cret@x")).not.toThrow(/s3cret/);
    expect(() => parse("--host-name", "box")).toThrow(/pass --publish with it/);
    expect(() => parse("--publish", "nats://h:1", "--host-name", " ")).toThrow(/--host-name must be/);
    // The shared credential flags (@catalyst/relay/command-line): paths and a user name, never a secret.
    expect(
      parse("--publish", "tls://h:1", "--nats-creds", "/c.creds", "--nats-tls-ca", "/ca.pem").natsFlags,
    ).toEqual({ "nats-creds": "/c.creds", "nats-tls-ca": "/ca.pem" });
    expect(() => parse("--publish", "nats://h:1", "--nats-token", "s3cret")).toThrow(/'--nats-token'/);
    expect(() => parse("--publish", "nats://h:1", "--nats-token", "s3cret")).not.toThrow(/s3cret/);
  });

  it.skipIf(skipReason !== null)(
    "publishes the watched dir under its host name while serving it locally",
    async () => {
      const root = await mkdtemp(join(tmpdir(), "monitor-publish-"));
      cleanups.push(() => rm(root, { recursive: true, force: true }));
      const server = await startNatsServer(join(root, "store"));
      cleanups.push(() => server.kill());
      const logs: string[] = [];
      const options = parseCliArgs(
        ["--demo", "--port", "0", "--history", "0", "--publish", server.url, "--host-name", "box-1"],
        {},
        tmpdir(),
      );
      const running = await startMonitor(
        options,
        {
          env: { GITHUB_TOKEN: "", GH_TOKEN: "", PATH: "", CATALYST_CACHE_DIR: join(root, "cache") },
          stdout: () => {},
          stderr: () => {},
        },
        createLogger({ write: (line) => void logs.push(line) }),
      );
      cleanups.push(() => running.stop());
      const kinds = new Set<string>();
      const consumer = createRelayConsumer({ servers: server.url });
      consumer.subscribe(({ host, changes }) => {
        if (host === "box-1") for (const c of changes) kinds.add(c.kind);
      });
      await consumer.start();
      cleanups.push(() => consumer.stop());
      await waitUntil(
        "signals and log lines from box-1",
        () => kinds.has("signal") && kinds.has("log-lines"),
        60_000,
      );
      expect((await fetch(`${running.url}healthz`)).ok).toBe(true);
      expect(logs.join("")).toContain("publishing to NATS JetStream");
      expect(logs.join("")).not.toContain(server.url);
    },
    90_000,
  );
});
