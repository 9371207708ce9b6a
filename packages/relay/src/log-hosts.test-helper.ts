// The scaffolding the stream's read tests share (read-relay-index.test.ts here, the engine's
// central-time-travel.test.ts): hosts that are just a catalyst dir with an event log, each with a
// real relay publisher on one real nats-server, and the wait until every line written is on the
// stream and every publisher is idle (nothing more to come).
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type NatsServer, startNatsServer, waitUntil } from "@catalyst/test-utils";
import type { JetStreamClient } from "@nats-io/jetstream";
import { afterAll, beforeAll } from "vitest";
import { eventSubjectOf, messageIdOf } from "./keys.js";
import { readStreamPosition } from "./late-lines.js";
import type { RelayNames } from "./names.js";
import { createRelayPublisher, type RelayPublisher, type RelayPublisherOptions } from "./publisher.js";
import type { LogMessage } from "./wire.js";

/**
 * A suite's broker: a new temp dir (`prefix-…`) and a nats-server with its store in it, made in a
 * `beforeAll` (the dir only, when `skip`) and handed to `use`; killed and removed in an `afterAll`.
 */
export function brokerForSuite(
  prefix: string,
  skip: boolean,
  use: (server: NatsServer | null, root: string) => void,
): void {
  let server: NatsServer | null = null;
  let root = "";
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), `${prefix}-`));
    if (!skip) server = await startNatsServer(join(root, "store"));
    use(server, root);
  }, 60_000);
  afterAll(async () => {
    await server?.kill();
    if (root !== "") await rm(root, { recursive: true, force: true });
  });
}

/** A host: its catalyst dir, how many lines it wrote so far, and its publisher (null: none running). */
export interface LogHost {
  name: string;
  dir: string;
  n: number;
  publisher: RelayPublisher | null;
}

/** A host named `name` under `root`, with an empty `events/` dir. */
export async function logHost(root: string, name: string): Promise<LogHost> {
  const dir = join(root, name);
  await mkdir(join(dir, "events"), { recursive: true });
  return { name, dir, n: 0, publisher: null };
}

/** The messages stored on a stream so far (its last sequence: these tests never remove any). */
export async function streamMessages(servers: string, stream: string): Promise<number> {
  return (await readStreamPosition({ servers, stream }))?.last ?? 0;
}

/** Waits until `stream` holds `count` messages, then until each publisher is idle. */
export async function waitForStream(
  servers: string,
  stream: string,
  count: number,
  publishers: Iterable<RelayPublisher | null>,
  timeoutMs = 30_000,
): Promise<void> {
  await waitUntil(
    `${count} messages on the stream ${stream}`,
    async () => (await streamMessages(servers, stream)) === count,
    timeoutMs,
  );
  for (const p of publishers) await p?.idle();
}

/**
 * A relay publisher of `host` on `names` (not started), as these tests run it: a one-minute
 * heartbeat (no heartbeats in the way of counting messages), `extra` on top.
 */
export function publisherOf(
  servers: string,
  names: RelayNames,
  host: Pick<LogHost, "name" | "dir">,
  stateDir: string,
  extra: Partial<RelayPublisherOptions> = {},
): RelayPublisher {
  return createRelayPublisher({
    servers,
    ...names,
    hostName: host.name,
    catalystDir: host.dir,
    stateDir,
    heartbeatMs: 60_000,
    ...extra,
  });
}

/**
 * One stream's hosts, bound for a suite whose server and dir exist only once its `beforeAll` ran
 * (hence the getters): a host's publisher, and `settled()`, the wait until the stream holds the
 * `written()` lines and every host's publisher is idle. Registers an `afterAll` that stops every
 * host's publisher.
 */
export function hostsOnStream(
  servers: () => string,
  names: RelayNames,
  stateDir: () => string,
  hosts: readonly LogHost[],
  written: () => number,
) {
  afterAll(async () => {
    for (const h of hosts) await h.publisher?.stop();
  });
  return {
    publisher: (host: LogHost) => publisherOf(servers(), names, host, stateDir()),
    settled: () =>
      waitForStream(
        servers(),
        names.stream!,
        written(),
        hosts.map((h) => h.publisher),
      ),
  };
}

/**
 * `count` log lines of host `h`, orchestrator `o` (worker `W-<i>`, event `x`, all at one ts)
 * published straight to the stream as a publisher would (its message ids), line `i` at byte offset
 * `i * offsetStep`; `detail(i)`, when given, is the line's detail.
 */
export async function publishLines(
  js: JetStreamClient,
  subjectPrefix: string,
  count: number,
  options: { offsetStep: number; detail?: (i: number) => string },
): Promise<void> {
  for (let i = 0; i < count; i++) {
    const text = JSON.stringify({
      ts: "2026-04-14T18:00:00Z",
      orchestrator: "o",
      worker: `W-${i}`,
      event: "x",
      ...(options.detail === undefined ? {} : { detail: options.detail(i) }),
    });
    const msg: LogMessage = {
      host: "h",
      file: "events/2026-04.jsonl",
      generation: 0,
      offset: i * options.offsetStep,
      text,
    };
    await js.publish(eventSubjectOf(subjectPrefix, "h", "o"), JSON.stringify(msg), {
      msgID: messageIdOf("h", msg.file, 0, msg.offset),
    });
  }
}
