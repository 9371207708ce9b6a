// A restarted publisher resumes each log file at its cursor instead of re-reading it from 0, and
// keeps the liveness keys of workers that are still there (issue 28). One nats-server for the file.
import { appendFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NATS_SERVER, type NatsServer, startNatsServer } from "@catalyst/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openBroker } from "./broker.js";
import { resolveNames } from "./names.js";
import { createRelayPublisher, type RelayPublisherOptions } from "./publisher.js";

function lines(from: number, count: number): string {
  let out = "";
  const ts = new Date().toISOString();
  for (let i = from; i < from + count; i++)
    out += `${JSON.stringify({ ts, orchestrator: "o1", worker: `T-${i}`, event: "worker-dispatched", detail: null })}\n`;
  return out;
}

describe.skipIf(NATS_SERVER === null)("relay publisher restarts", () => {
  let root = "";
  let server: NatsServer;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "relay-resume-"));
    server = await startNatsServer(join(root, "store"));
  }, 30_000);
  afterAll(async () => {
    await server?.kill();
    await rm(root, { recursive: true, force: true });
  });

  async function run(
    options: RelayPublisherOptions,
    between?: (p: ReturnType<typeof createRelayPublisher>) => Promise<void>,
  ) {
    const publisher = createRelayPublisher(options);
    try {
      await publisher.start();
      await publisher.idle();
      await between?.(publisher);
      return publisher.stats();
    } finally {
      await publisher.stop();
    }
  }

  it("resumes a log file at its cursor: the lines before it are neither read again nor published", async () => {
    const dir = join(root, "resume");
    const month = `${new Date().toISOString().slice(0, 7)}.jsonl`;
    await mkdir(join(dir, "events"), { recursive: true });
    await writeFile(join(dir, "events", month), lines(0, 300));
    const options = {
      servers: server.url,
      hostName: "resume",
      catalystDir: dir,
      stateDir: join(root, "state"),
      stream: "RESUME",
      subjectPrefix: "resume.events",
      bucket: "resume-state",
    };
    const first = await run(options);
    expect(first).toMatchObject({ linesPublished: 300, linesBelowCursor: 0 });

    await appendFile(join(dir, "events", month), lines(300, 20));
    const second = await run(options);
    // Only the 20 new lines were read and published; none of the 300 before the cursor came back.
    expect(second).toMatchObject({ linesPublished: 20, linesBelowCursor: 0, duplicatesDropped: 0 });

    const broker = await openBroker({ servers: server.url }, resolveNames(options));
    try {
      expect((await broker.jsm.streams.info("RESUME")).state.messages).toBe(320);
    } finally {
      await broker.nc.close();
    }

    // A file rewritten shorter while the publisher was away starts a new generation from 0.
    await writeFile(join(dir, "events", month), lines(1000, 5));
    const third = await run(options);
    expect(third).toMatchObject({ linesPublished: 5, linesBelowCursor: 0 });
  }, 60_000);

  it("keeps a present worker's liveness key across a restart and deletes a gone worker's", async () => {
    const dir = join(root, "live");
    await mkdir(join(dir, "runs", "o1", "workers"), { recursive: true });
    for (const t of ["T-1", "T-2"])
      await writeFile(
        join(dir, "runs", "o1", "workers", `${t}.json`),
        JSON.stringify({ ticket: t, status: "implementing", pid: 1 }),
      );
    const options = {
      servers: server.url,
      hostName: "live",
      catalystDir: dir,
      stateDir: join(root, "state"),
      stream: "LIVE",
      subjectPrefix: "live.events",
      bucket: "live-state",
    };
    const answer = (worker: string, alive: boolean) => ({
      orchestrator: "o1",
      worker,
      result: {
        pid: 1,
        alive,
        reason: alive ? ("alive" as const) : ("dead" as const),
        checkedAt: new Date().toISOString(),
      },
    });
    const first = await run(options, async (p) => {
      p.publishLiveness([answer("T-1", true), answer("T-2", true)]);
      await p.idle();
      // The same answers again (a new checkedAt only): nothing written.
      p.publishLiveness([answer("T-1", true), answer("T-2", true)]);
      await p.idle();
      p.publishLiveness([answer("T-2", false)]);
      await p.idle();
    });
    expect(first.livenessPuts).toBe(3);

    await rm(join(dir, "runs", "o1", "workers", "T-2.json"));
    await run(options);
    const broker = await openBroker({ servers: server.url }, resolveNames(options));
    try {
      const keys: string[] = [];
      for await (const k of await broker.kv.keys("live.o1.=live.>")) keys.push(k);
      expect(keys).toEqual(["live.o1.=live.T-1"]);
      expect((await broker.kv.get("live.o1.=live.T-1"))?.json()).toMatchObject({
        kind: "liveness",
        result: { alive: true },
      });
    } finally {
      await broker.nc.close();
    }
  }, 60_000);
});
