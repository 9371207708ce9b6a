// Issue 28 on the publishing side, one nats-server for the file: a restarted publisher resumes each
// log file at its cursor instead of re-reading it from 0, keeps the liveness keys of workers that
// are still there, and relays briefings (capped) and skipped-line markers to a consumer.
import { appendFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NATS_SERVER, type NatsServer, startNatsServer, waitUntil } from "@catalyst/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openBroker } from "./broker.js";
import { createRelayConsumer, type HostChanges } from "./consumer.js";
import { listKeys } from "./kv-keys.js";
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
      const keys = await listKeys(broker, resolveNames(options).bucket, "live.o1.=live.>", {
        servers: server.url,
      });
      expect(keys).toEqual(["live.o1.=live.T-1"]);
      expect((await broker.kv.get("live.o1.=live.T-1"))?.json()).toMatchObject({
        kind: "liveness",
        result: { alive: true },
      });
    } finally {
      await broker.nc.close();
    }
  }, 60_000);

  it("relays briefings (their text capped) and the lines a host could not parse", async () => {
    const dir = join(root, "brief");
    const month = `${new Date().toISOString().slice(0, 7)}.jsonl`;
    await mkdir(join(dir, "runs", "o1", "workers"), { recursive: true });
    await mkdir(join(dir, "events"), { recursive: true });
    await writeFile(
      join(dir, "runs", "o1", "workers", "T-1.json"),
      JSON.stringify({ ticket: "T-1", status: "implementing" }),
    );
    await writeFile(join(dir, "runs", "o1", "DASHBOARD.md"), "# Dashboard of o1");
    await writeFile(join(dir, "runs", "o1", "wave-2-briefing.md"), "b".repeat(300 * 1024));
    await writeFile(join(dir, "events", month), `${lines(0, 2)}not json at all\n${lines(2, 1)}nor this\n`);
    const names = { stream: "BRIEF", subjectPrefix: "brief.events", bucket: "brief-state" };
    const publisher = createRelayPublisher({
      ...names,
      servers: server.url,
      hostName: "bx",
      catalystDir: dir,
      stateDir: join(root, "state"),
    });
    const consumer = createRelayConsumer({ ...names, servers: server.url, durable: "brief" });
    const got: HostChanges[] = [];
    consumer.subscribe((b) => got.push(b));
    try {
      await publisher.start();
      await publisher.idle();
      await consumer.start();
      const changes = got.flatMap((b) => b.changes);
      expect(
        changes.filter((c) => c.kind === "briefing").map((c) => [c.orchestrator, c.wave, c.bytes]),
      ).toEqual(
        expect.arrayContaining([
          ["bx/o1", null, 17],
          ["bx/o1", 2, 300 * 1024],
        ]),
      );
      const skipped = changes.filter((c) => c.kind === "log-skipped");
      expect(skipped).toEqual([
        expect.objectContaining({
          file: `bx/events/${month}`,
          reason: "invalid",
          // The last one, with the host's count for the file.
          detail: expect.stringMatching(/^on host bx: .*\(2 lines skipped in this file\)$/),
        }),
      ]);
      expect(consumer.stats().hostSkipped).toBe(1);

      const path = changes.find((c) => c.kind === "orchestrator-added")!;
      const orchPath = path.kind === "orchestrator-added" ? path.orchestrator.path : "";
      expect(await consumer.readBriefing(orchPath, null)).toMatchObject({
        ok: true,
        text: "# Dashboard of o1",
        truncated: false,
      });
      const wave = await consumer.readBriefing(orchPath, 2);
      expect(wave).toMatchObject({ ok: true, truncated: true });
      expect(wave.ok && wave.text.length).toBe(256 * 1024);
      expect(await consumer.readBriefing(orchPath, 7)).toMatchObject({ ok: false, reason: "missing" });

      // A briefing removed on the host is removed centrally.
      got.length = 0;
      await rm(join(dir, "runs", "o1", "DASHBOARD.md"));
      await waitUntil(
        "briefing removed",
        () => got.some((b) => b.changes.some((c) => c.kind === "briefing-removed")),
        20_000,
      );
    } finally {
      await consumer.stop();
      await publisher.stop();
    }
  }, 60_000);
});
