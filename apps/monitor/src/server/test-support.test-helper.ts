import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DeltaFeed } from "@catalyst/schema";
import { readEvents } from "@catalyst/sources";
import { createSseHub, type SseHub, type SseHubOptions } from "@catalyst/sse-server";
import {
  createScriptedFeed,
  emptySnapshot,
  removedDraft,
  type ScriptedFeed,
  waitUntil,
} from "@catalyst/test-utils";
import { type AppDeps, createApp } from "./create-app.js";
import type { ReadEvents } from "./events-api.js";
import { type Listening, listenApp } from "./listen.js";

/** Waits until `check` holds (`waitUntil` of @catalyst/test-utils, on vi.waitFor), failing after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs = 10_000, what = "condition"): Promise<void> {
  await waitUntil(what, check, { timeoutMs, intervalMs: 5 });
}

export { createScriptedFeed, emptySnapshot, removedDraft, type ScriptedFeed };

// The real reader: these apps' catalyst dirs hold no event log, so it yields nothing.
const noEvents: ReadEvents = readEvents;

/** A running app on 127.0.0.1 with an ephemeral port, its hub, and a temp publicDir. */
export interface TestServer {
  base: string;
  port: number;
  hub: SseHub;
  listening: Listening;
  close(): Promise<void>;
}

/** Starts the real app over a real socket on 127.0.0.1:0. */
export async function startTestServer(
  feed: DeltaFeed,
  options: { sse?: SseHubOptions; deps?: Partial<AppDeps> } = {},
): Promise<TestServer> {
  const hub = createSseHub(feed, options.sse);
  const dir = await mkdtemp(join(tmpdir(), "monitor-test-"));
  let port = 0;
  const app = createApp({
    feed,
    hub,
    catalystDir: join(dir, "catalyst"),
    publicDir: join(dir, "public"),
    access: { host: "127.0.0.1", port: () => port, token: null },
    readEvents: noEvents,
    ...options.deps,
  });
  const listening = await listenApp(app, { host: "127.0.0.1", port: 0 });
  port = listening.port;
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    hub,
    listening,
    async close() {
      hub.close();
      await listening.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
