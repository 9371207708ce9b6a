import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Delta, Snapshot } from "@catalyst/schema";
import { type AppDeps, createApp } from "./create-app.js";
import type { ReadEvents } from "./events-api.js";
import { type Listening, listenApp } from "./listen.js";
import { createSseHub, type DeltaFeed, type SseHub, type SseHubOptions } from "./sse-hub.js";

/** An empty snapshot at a fixed time. */
export function emptySnapshot(at = "2026-04-14T19:00:00Z"): Snapshot {
  return { generatedAt: at, orchestrators: [], needsYou: [], sourceErrors: [] };
}

/** A scripted feed for hub tests: the shape of fuse, with deltas published by the test. */
export interface ScriptedFeed extends DeltaFeed {
  publish(drafts: Array<Omit<Delta, "id">>): Delta[];
  listenerCount(): number;
}

/** Creates a scripted feed with a ring of `ringSize` deltas. */
export function createScriptedFeed(ringSize = 1000): ScriptedFeed {
  const ring: Delta[] = [];
  const listeners = new Set<(deltas: Delta[]) => void>();
  let last = 0;
  return {
    snapshot: () => emptySnapshot(),
    lastId: () => last,
    since(id) {
      if (id > last) return { ok: false, reason: "gap" };
      if (id === last) return { ok: true, deltas: [] };
      const first = ring[0];
      if (first === undefined || first.id > id + 1) return { ok: false, reason: "gap" };
      return { ok: true, deltas: ring.filter((d) => d.id > id) };
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    publish(drafts) {
      const deltas = drafts.map((d) => ({ ...d, id: ++last }) as Delta);
      ring.push(...deltas);
      while (ring.length > ringSize) ring.shift();
      for (const listener of [...listeners]) listener(deltas);
      return deltas;
    },
    listenerCount: () => listeners.size,
  };
}

/** A small `worker-removed` delta draft for tests. */
export function removedDraft(orchestrator: string, worker: string): Omit<Delta, "id"> {
  return { event: "worker-removed", data: { orchestrator, worker, ts: "2026-04-14T19:00:00Z" } };
}

/** Polls until `check` returns true, failing after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const noEvents: ReadEvents = () => {
  const stats = { invalid: 0, oversized: 0 };
  return Object.assign(
    (async function* () {
      // empty log
    })(),
    { stats },
  );
};

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
