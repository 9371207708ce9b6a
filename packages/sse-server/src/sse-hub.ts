import { channel } from "node:diagnostics_channel";
import type { Delta } from "@catalyst/schema";
import {
  type ByteSink,
  type ClientEndReason,
  type ClientQueue,
  createClientQueue,
  createFlushScheduler,
  createSinkClientQueue,
  type OverflowHandler,
} from "./client-queue.js";
import { type DeltaFilter, isOpenFilter, matchesDelta, NO_FILTER } from "./delta-filter.js";
import {
  createSnapshotFrames,
  type EncodedSnapshot,
  type SnapshotFrames,
  type SteppedDeltaFeed,
} from "./snapshot-frames.js";
import { encodeSseFrame, encodeSseKeepAlive, encodeSseRetry } from "./sse-frame.js";

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
   * The snapshot frames, built in steps ({@link createSnapshotFrames}); pass the ones
   * `/api/snapshot` answers from, so one encoding of the snapshot serves both (at 10,000 workers
   * it is ~10 MB). @default frames of the hub's own
   */
  frames?: SnapshotFrames;
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
  /** Deltas up to this id are already in a snapshot (and the deltas after it) the client was sent. */
  skipThrough: number;
  /**
   * It holds a whole state: a snapshot frame (and the deltas after it) or a resume's replay was
   * queued to it, and no backlog dropped since. One that waits for a newer frame has something to show.
   */
  hasSnapshot: boolean;
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
export function createSseHub(feed: SteppedDeltaFeed, options: SseHubOptions = {}): SseHub {
  const limits = {
    maxFrames: options.maxQueueFrames ?? 1000,
    maxBytes: options.maxQueueBytes ?? 8 * 1024 * 1024,
  };
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  const retryFrame = encodeSseRetry(options.retryMs ?? 2000);
  // Live clients: they get every delta as it comes.
  const clients = new Set<Client>();
  // Clients waiting for a snapshot frame (connecting, or resynced after falling behind): they get
  // no deltas until it is built; then the frame and the deltas after its id.
  const waiting = new Set<Client>();
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
  // The snapshot frames are built in steps, with turns of the event loop between them, once per
  // snapshot for every client that needs one meanwhile (and for /api/snapshot when shared).
  const frames = options.frames ?? createSnapshotFrames(feed);
  let requested = false;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;

  const encodeMissed = (deltas: readonly Delta[], filter: DeltaFilter): Uint8Array[] | null => {
    const out: Uint8Array[] = [];
    let bytes = 0;
    for (const delta of deltas) {
      if (!matchesDelta(filter, delta)) continue;
      const frame = encodeSseFrame(delta.id, delta.event, delta.data);
      out.push(frame);
      bytes += frame.byteLength;
      if (out.length >= limits.maxFrames || bytes > limits.maxBytes) return null;
    }
    return out;
  };

  /**
   * A snapshot frame for `targets`, then the deltas after its id: they are live from there. One
   * whose deltas since would not fit its queue waits for a newer frame (and gets this one only
   * if it has none yet, to show something meanwhile).
   */
  const deliver = (targets: Iterable<Client>, encoded: EncodedSnapshot): Client[] => {
    const missed = encoded.id === feed.lastId() ? null : feed.since(encoded.id);
    const deltas = missed === null ? [] : missed.ok ? missed.deltas : null;
    // The deltas since, encoded once for every client without a filter.
    let shared: Uint8Array[] | null | undefined;
    const behind: Client[] = [];
    const through = feed.lastId();
    for (const client of targets) {
      if (!client.open) continue;
      let replay: Uint8Array[] | null = null;
      if (deltas !== null) {
        if (!isOpenFilter(client.filter)) replay = encodeMissed(deltas, client.filter);
        else {
          if (shared === undefined) shared = encodeMissed(deltas, NO_FILTER);
          replay = shared;
        }
      }
      if (replay === null) {
        if (!client.hasSnapshot) {
          client.hasSnapshot = true;
          send(client.queue, encoded.frame);
        }
        behind.push(client);
        continue;
      }
      client.hasSnapshot = true;
      client.skipThrough = through;
      send(client.queue, encoded.frame);
      for (const frame of replay) send(client.queue, frame);
      waiting.delete(client);
      clients.add(client);
    }
    return behind;
  };

  const onWaitingFrame = (encoded: EncodedSnapshot | Error): void => {
    requested = false;
    if (closed) return;
    // A build that failed (a bug in the feed): the clients waiting are ended rather than left hanging.
    if (encoded instanceof Error) {
      for (const client of [...waiting]) client.queue.abort();
      return;
    }
    const behind = deliver([...waiting], encoded);
    if (behind.length === 0) return;
    // Too many deltas since this build began (a start-up applying slice after slice): the next
    // build is asked for once ten times this one's cost has passed, not at once and again.
    if (retryTimer !== null) return;
    retryTimer = setTimeout(
      () => {
        retryTimer = null;
        requestForWaiting();
      },
      Math.min(10 * encoded.costMs, 5_000),
    );
    retryTimer.unref?.();
  };

  const requestForWaiting = (): void => {
    if (requested || closed || waiting.size === 0) return;
    requested = true;
    frames.request(onWaitingFrame);
  };

  // A client whose queue overflowed but has been reading gets its backlog replaced by one fresh
  // snapshot (a burst, e.g. start-up, must not cost it the connection); one that took nothing
  // since its last resync is stalled and is dropped. The snapshot is built in steps: until it is
  // ready the client waits (no deltas), its backlog replaced by the small `retry:` frame.
  const overflowHandler = (client: () => Client | null) => (): Uint8Array | null => {
    const c = client();
    if (c === null) return null;
    const written = c.queue.written();
    if (c.resyncedAt !== null && written <= c.resyncedAt) return null;
    c.resyncedAt = written;
    resyncs += 1;
    // Its backlog (a snapshot frame among it, maybe) is dropped: what it holds is not whole.
    c.hasSnapshot = false;
    if (c.open && clients.delete(c)) {
      waiting.add(c);
      // Not from inside a push (a fan-out may be under way): in a microtask.
      queueMicrotask(requestForWaiting);
    }
    sent.frames += 1;
    sent.bytes += retryFrame.byteLength;
    return retryFrame;
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

  const startShared = (): void => {
    if (unsubscribe === null) unsubscribe = feed.subscribe(onDeltas);
    if (keepAlive === null && keepAliveMs > 0) {
      keepAlive = setInterval(() => {
        for (const client of clients) send(client.queue, KEEP_ALIVE);
        for (const client of waiting) send(client.queue, KEEP_ALIVE);
      }, keepAliveMs);
      keepAlive.unref?.();
    }
  };

  const stopSharedIfIdle = (): void => {
    if (clients.size > 0 || waiting.size > 0) return;
    unsubscribe?.();
    unsubscribe = null;
    if (keepAlive !== null) clearInterval(keepAlive);
    keepAlive = null;
    if (retryTimer !== null) clearTimeout(retryTimer);
    retryTimer = null;
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
      waiting.delete(client);
      if (reason === "overflow") dropped += 1;
      stopSharedIfIdle();
      options.onClientEvent?.({
        type: reason === "overflow" ? "drop" : "disconnect",
        clients: clients.size + waiting.size,
        resumed: resumeFrom !== null,
      });
    };
    const queue = makeQueue(
      onEnd,
      overflowHandler(() => client),
    );
    client = { queue, filter, open: true, skipThrough: 0, hasSnapshot: false, resyncedAt: null };
    if (closed || signal?.aborted) {
      client.open = false;
      queue.close();
      return;
    }
    send(queue, retryFrame);
    const missed = resumeFrom === null ? null : feed.since(resumeFrom);
    // Missed deltas that would not fit the queue are sent as one fresh snapshot instead.
    const replay = missed?.ok ? encodeMissed(missed.deltas, filter) : null;
    if (replay !== null) {
      // The replay and the subscription happen in one synchronous step, so no delta can fall
      // between them.
      for (const frame of replay) send(queue, frame);
      // What it held before, with the missed deltas: a whole state.
      client.hasSnapshot = true;
      clients.add(client);
    } else {
      // A snapshot: the client waits for the frame (made now for a small fleet, in steps for a
      // large one, shared with every client asking meanwhile), then gets the deltas after its id.
      waiting.add(client);
    }
    startShared();
    signal?.addEventListener("abort", onAbort, { once: true });
    options.onClientEvent?.({
      type: "connect",
      clients: clients.size + waiting.size,
      resumed: missed?.ok === true,
    });
    if (replay === null) requestForWaiting();
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
      // A snapshot taken from now on, to the clients live when it is ready, followed by the deltas
      // after its id (which they may have had already: the snapshot replaces what they hold).
      frames.request((encoded) => {
        if (closed || encoded instanceof Error) return;
        // A live client whose deltas since would not fit its queue is sent nothing (it holds a
        // whole state already) and stays live.
        deliver([...clients], encoded);
      }, true);
    },
    clientCount: () => clients.size + waiting.size,
    queueDepths: () => [...clients, ...waiting].map((c) => c.queue.depth()),
    subscribed: () => unsubscribe !== null,
    droppedCount: () => dropped,
    resyncCount: () => resyncs,
    sentCounts: () => ({ ...sent }),
    close() {
      closed = true;
      const all = [...clients, ...waiting];
      for (const client of all) client.queue.close();
      // A stalled client cannot take its last frames; it is released here, its socket by the server.
      for (const client of all) {
        client.open = false;
        clients.delete(client);
        waiting.delete(client);
      }
      stopSharedIfIdle();
    },
  };
}
