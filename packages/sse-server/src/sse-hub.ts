import { channel } from "node:diagnostics_channel";
import type { Delta, DeltaFeed, OrchestratorView, Snapshot } from "@catalyst/schema";
import {
  type ByteSink,
  type ClientEndReason,
  type ClientQueue,
  createClientQueue,
  createFlushScheduler,
  createSinkClientQueue,
  type OverflowHandler,
} from "./client-queue.js";
import { type DeltaFilter, isOpenFilter, matchesDelta } from "./delta-filter.js";
import { createSnapshotSerializer } from "./snapshot-json.js";
import { encodeSseFrame, encodeSseKeepAlive, encodeSseRetry, encodeSseText } from "./sse-frame.js";

/** A connect, disconnect or drop, for the app's debug log. */
export interface ClientEvent {
  type: "connect" | "disconnect" | "drop";
  clients: number;
  resumed: boolean;
}

/** Options of the SSE hub. */
export interface SseHubOptions {
  /** @default 1000 */
  maxQueueFrames?: number;
  /** @default 8 MiB */
  maxQueueBytes?: number;
  /** Interval of the `: ka` comment. @default 15_000 */
  keepAliveMs?: number;
  /** The `retry:` hint sent first. @default 2000 */
  retryMs?: number;
  onClientEvent?: (event: ClientEvent) => void;
  /** Clients written per slice of a flush pass; I/O runs between slices. @default 256 */
  flushSliceSize?: number;
  /**
   * The orchestrator-JSON cache of the snapshot frames ({@link createOrchestratorJsonCache}); pass
   * the one `createSnapshotBytes` uses, so a client connecting after `/api/snapshot` was answered
   * reuses its orchestrators' text (at 10,000 workers a first snapshot frame made from nothing
   * held the loop ~120 ms). @default a cache of the hub's own
   */
  orchestratorJson?: (view: OrchestratorView) => string;
}

/** How one client connects. */
export interface OpenClientOptions {
  /** `Last-Event-ID` (header or `?lastEventId=`); null for a fresh start. */
  lastEventId: string | null;
  filter: DeltaFilter;
  /** Aborted when the request goes away. */
  signal?: AbortSignal;
  /** Breaks the connection (used to drop a stalled client). */
  destroy?: () => void;
}

/** Fans fuse's deltas out to SSE clients, each with its own bounded queue. */
export interface SseHub {
  /** Opens one client: `retry:`, then a snapshot or the missed deltas, then live deltas. */
  open(options: OpenClientOptions): ReadableStream<Uint8Array>;
  /** The same, writing straight to a Node response whose headers are already sent. */
  attach(options: OpenClientOptions, sink: ByteSink): void;
  /** Sends a full `snapshot` frame to every client (the 60 s refresh). */
  broadcastSnapshot(): void;
  clientCount(): number;
  queueDepths(): number[];
  /** True while the hub holds a subscription on the feed (only while it has clients). */
  subscribed(): boolean;
  /** Clients dropped for overflowing their queue since start (stalled: they took nothing since a resync). */
  droppedCount(): number;
  /** Times a client that fell behind had its backlog replaced by a fresh snapshot. */
  resyncCount(): number;
  /** Frames (keep-alives included) and their bytes queued to clients since start. */
  sentCounts(): { frames: number; bytes: number };
  /** Ends every stream and releases the feed. */
  close(): void;
}

interface Client {
  queue: ClientQueue;
  filter: DeltaFilter;
  open: boolean;
  /** Deltas up to this id are already in a snapshot the client was sent (after a resync). */
  skipThrough: number;
  /** `queue.written()` at the last resync: a client that took nothing since is dropped instead. */
  resyncedAt: number | null;
}

/** Per-stage timestamps, opt-in (issue 26): `hub` when deltas reach the hub (see client-queue's flush stages). */
const stages = channel("catalyst:stage");

// A named event, not a comment: a browser's EventSource never shows comments, and the client's
// silence watchdog must see a filtered stream that matches nothing for a while is still alive.
// No `id:`, so it leaves the client's resume point alone.
const KEEP_ALIVE = encodeSseKeepAlive();

/** A `Last-Event-ID`: fuse ids are safe integers (16 digits once based on the start time). */
export function parseEventId(text: string | null): number | null {
  if (text === null) return null;
  const trimmed = text.trim();
  if (!/^\d{1,16}$/.test(trimmed)) return null;
  const id = Number(trimmed);
  return Number.isSafeInteger(id) ? id : null;
}

/** Creates the hub. It subscribes to the feed while it has clients and runs the keep-alive timer then. */
export function createSseHub(feed: DeltaFeed, options: SseHubOptions = {}): SseHub {
  const limits = {
    maxFrames: options.maxQueueFrames ?? 1000,
    maxBytes: options.maxQueueBytes ?? 8 * 1024 * 1024,
  };
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  const retryFrame = encodeSseRetry(options.retryMs ?? 2000);
  const clients = new Set<Client>();
  let unsubscribe: (() => void) | null = null;
  let keepAlive: ReturnType<typeof setInterval> | null = null;
  let dropped = 0;
  let closed = false;
  let resyncs = 0;
  const sent = { frames: 0, bytes: 0 };
  const send = (queue: ClientQueue, frame: Uint8Array): void => {
    sent.frames += 1;
    sent.bytes += frame.byteLength;
    queue.push(frame);
  };
  // One flush pass for every client with frames waiting, in slices (see createFlushScheduler).
  const flusher = createFlushScheduler(options.flushSliceSize);
  const serializeSnapshot = createSnapshotSerializer(options.orchestratorJson);
  // One encoded snapshot per snapshot object (fuse returns the same object until its state or
  // time moves), shared by every client that needs it.
  let snapshotCache: { snapshot: Snapshot; id: number; frame: Uint8Array } | null = null;

  const snapshotFrame = (): Uint8Array => {
    const snapshot = feed.snapshot();
    const id = feed.lastId();
    if (snapshotCache?.snapshot !== snapshot || snapshotCache.id !== id) {
      snapshotCache = { snapshot, id, frame: encodeSseText(id, "snapshot", serializeSnapshot(snapshot)) };
    }
    return snapshotCache.frame;
  };

  // A client whose queue overflowed but has been reading gets its backlog replaced by one fresh
  // snapshot (a burst, e.g. start-up, must not cost it the connection); one that took nothing
  // since its last resync is stalled and is dropped.
  const overflowHandler = (client: () => Client | null) => (): Uint8Array | null => {
    const c = client();
    if (c === null) return null;
    const written = c.queue.written();
    if (c.resyncedAt !== null && written <= c.resyncedAt) return null;
    c.resyncedAt = written;
    c.skipThrough = feed.lastId();
    resyncs += 1;
    const frame = snapshotFrame();
    sent.frames += 1;
    sent.bytes += frame.byteLength;
    return frame;
  };

  const onDeltas = (deltas: Delta[]): void => {
    if (stages.hasSubscribers) stages.publish({ stage: "hub", n: deltas.length, clients: clients.size });
    for (const delta of deltas) {
      let frame: Uint8Array | null = null;
      for (const client of clients) {
        if (delta.id <= client.skipThrough) continue;
        if (!isOpenFilter(client.filter) && !matchesDelta(client.filter, delta)) continue;
        frame ??= encodeSseFrame(delta.id, delta.event, delta.data);
        send(client.queue, frame);
      }
    }
  };

  const encodeMissed = (deltas: readonly Delta[], filter: DeltaFilter): Uint8Array[] | null => {
    const frames: Uint8Array[] = [];
    let bytes = 0;
    for (const delta of deltas) {
      if (!matchesDelta(filter, delta)) continue;
      const frame = encodeSseFrame(delta.id, delta.event, delta.data);
      frames.push(frame);
      bytes += frame.byteLength;
      if (frames.length >= limits.maxFrames || bytes > limits.maxBytes) return null;
    }
    return frames;
  };

  const startShared = (): void => {
    if (unsubscribe === null) unsubscribe = feed.subscribe(onDeltas);
    if (keepAlive === null && keepAliveMs > 0) {
      keepAlive = setInterval(() => {
        for (const client of clients) send(client.queue, KEEP_ALIVE);
      }, keepAliveMs);
      keepAlive.unref?.();
    }
  };

  const stopSharedIfIdle = (): void => {
    if (clients.size > 0) return;
    unsubscribe?.();
    unsubscribe = null;
    if (keepAlive !== null) clearInterval(keepAlive);
    keepAlive = null;
  };

  const connect = (
    { lastEventId, filter, signal }: OpenClientOptions,
    makeQueue: (onEnd: (reason: ClientEndReason) => void, onOverflow: OverflowHandler) => ClientQueue,
  ): void => {
    const resumeFrom = parseEventId(lastEventId);
    let client: Client | null = null;
    const onAbort = (): void => client?.queue.disconnect();
    const onEnd = (reason: ClientEndReason): void => {
      signal?.removeEventListener("abort", onAbort);
      if (client === null || !client.open) return;
      client.open = false;
      clients.delete(client);
      if (reason === "overflow") dropped += 1;
      stopSharedIfIdle();
      options.onClientEvent?.({
        type: reason === "overflow" ? "drop" : "disconnect",
        clients: clients.size,
        resumed: resumeFrom !== null,
      });
    };
    const queue = makeQueue(
      onEnd,
      overflowHandler(() => client),
    );
    client = { queue, filter, open: true, skipThrough: 0, resyncedAt: null };
    if (closed || signal?.aborted) {
      client.open = false;
      queue.close();
      return;
    }
    // Snapshot (or replay) and subscription happen in one synchronous step, so no delta can
    // fall between them.
    send(queue, retryFrame);
    const missed = resumeFrom === null ? null : feed.since(resumeFrom);
    // Missed deltas that would not fit the queue are sent as one fresh snapshot instead.
    const replay = missed?.ok ? encodeMissed(missed.deltas, filter) : null;
    if (replay !== null) for (const frame of replay) send(queue, frame);
    else send(queue, snapshotFrame());
    clients.add(client);
    startShared();
    signal?.addEventListener("abort", onAbort, { once: true });
    options.onClientEvent?.({ type: "connect", clients: clients.size, resumed: missed?.ok === true });
  };

  return {
    open(options) {
      let stream: ReadableStream<Uint8Array> | null = null;
      connect(options, (onEnd, onOverflow) => {
        const queue = createClientQueue(limits, onEnd, options.destroy, onOverflow);
        stream = queue.stream;
        return queue;
      });
      return stream!;
    },
    attach(options, sink) {
      connect(options, (onEnd, onOverflow) =>
        createSinkClientQueue(limits, onEnd, sink, onOverflow, flusher),
      );
    },
    broadcastSnapshot() {
      if (clients.size === 0) return;
      const frame = snapshotFrame();
      for (const client of clients) send(client.queue, frame);
    },
    clientCount: () => clients.size,
    queueDepths: () => [...clients].map((c) => c.queue.depth()),
    subscribed: () => unsubscribe !== null,
    droppedCount: () => dropped,
    resyncCount: () => resyncs,
    sentCounts: () => ({ ...sent }),
    close() {
      closed = true;
      for (const client of [...clients]) client.queue.close();
      // A stalled client cannot take its last frames; it is released here, its socket by the server.
      for (const client of [...clients]) {
        client.open = false;
        clients.delete(client);
      }
      stopSharedIfIdle();
    },
  };
}
