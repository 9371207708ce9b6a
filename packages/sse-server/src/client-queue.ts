import { channel } from "node:diagnostics_channel";

/** Per-stage timestamps, opt-in (issue 26): `flush` / `flush-end` around each slice of a flush pass. */
const stages = channel("catalyst:stage");

/** Limits of one SSE client's queue of frames not yet taken by its socket. */
export interface ClientQueueLimits {
  /** @default 1000 */
  maxFrames: number;
  /** @default 8 MiB */
  maxBytes: number;
}

/** Why a client queue ended: closed by us, cancelled by the reader (disconnect), or overflowed. */
export type ClientEndReason = "closed" | "cancelled" | "overflow";

/** One client's bounded outbound queue. */
export interface ClientQueue {
  /** Queues a frame; returns false if the queue had ended or this frame overflowed it (it then ends). */
  push(frame: Uint8Array): boolean;
  /** Ends the stream after the frames already queued. */
  close(): void;
  /** Ends at once, dropping queued frames, and breaks the connection. */
  abort(): void;
  /** Ends at once because the reader went away (request aborted). */
  disconnect(): void;
  /** Frames queued and not yet taken by the socket. */
  depth(): number;
  /** How many times queued frames went out to the socket (a client that reads makes progress). */
  written(): number;
  readonly ended: boolean;
}

/**
 * Asked when a push overflows the queue: a frame to replace everything queued with (a fresh
 * snapshot, so a client that fell behind catches up), or null to drop the client.
 */
export type OverflowHandler = () => Uint8Array | null;

/** The frames waiting for one socket and their total size. */
interface Backlog {
  frames: Uint8Array[];
  bytes: number;
  /** The size of one frame larger than maxBytes among them (a big snapshot), or 0. */
  big: number;
}

/**
 * Queues a frame within the limits. On overflow the backlog becomes the handler's replacement
 * frame; false when there is none (the caller then drops the client). One frame larger than
 * maxBytes (a big snapshot) still goes out, and does not count against the bytes of the frames
 * around it (at most maxBytes of them); a backlog beyond that does not.
 */
function admit(
  backlog: Backlog,
  frame: Uint8Array,
  limits: ClientQueueLimits,
  onOverflow: OverflowHandler | undefined,
): boolean {
  backlog.frames.push(frame);
  backlog.bytes += frame.byteLength;
  // One frame larger than maxBytes (a snapshot: the same bytes for every client) does not count
  // against the bytes, so the `retry:` before it and the deltas after it still fit beside it.
  if (backlog.big === 0 && frame.byteLength > limits.maxBytes) backlog.big = frame.byteLength;
  const { frames, bytes, big } = backlog;
  if (frames.length > limits.maxFrames || (frames.length > 1 && bytes - big > limits.maxBytes)) {
    const replacement = onOverflow?.() ?? null;
    if (replacement === null) return false;
    backlog.frames = [replacement];
    backlog.bytes = replacement.byteLength;
    backlog.big = replacement.byteLength > limits.maxBytes ? replacement.byteLength : 0;
  }
  return true;
}

/** Empties the backlog and returns its frames as one chunk (null when it was empty). */
function takeAll(backlog: Backlog): Uint8Array | null {
  const { frames, bytes } = backlog;
  if (frames.length === 0) return null;
  backlog.frames = [];
  backlog.bytes = 0;
  backlog.big = 0;
  if (frames.length === 1) return frames[0]!;
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const frame of frames) {
    out.set(frame, at);
    at += frame.byteLength;
  }
  return out;
}

/**
 * Creates a pull-driven queue: the socket pulls only when it has drained (the Node adapter waits
 * for `drain`), so a stalled reader leaves frames here, where the limits apply, rather than in
 * an unbounded stream buffer. On overflow the client is dropped, never grown (issue 7, R4).
 * `destroy` breaks the underlying connection (the adapter's socket); without it the stream errors.
 */
export function createClientQueue(
  limits: ClientQueueLimits,
  onEnd: (reason: ClientEndReason) => void,
  destroy?: () => void,
  onOverflow?: OverflowHandler,
): ClientQueue & { readonly stream: ReadableStream<Uint8Array> } {
  const backlog: Backlog = { frames: [], bytes: 0, big: 0 };
  let writes = 0;
  let ended = false;
  let closing = false;
  let flushScheduled = false;
  let wake: (() => void) | null = null;
  let controller: ReadableStreamDefaultController<Uint8Array> | null = null;

  const finish = (reason: ClientEndReason): void => {
    if (ended) return;
    ended = true;
    takeAll(backlog);
    const w = wake;
    wake = null;
    w?.();
    onEnd(reason);
  };

  const flushInto = (c: ReadableStreamDefaultController<Uint8Array>): void => {
    const out = takeAll(backlog);
    if (out === null) return;
    writes += 1;
    c.enqueue(out);
  };

  const stream = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      pull(c) {
        if (ended) return;
        if (backlog.frames.length > 0) {
          flushInto(c);
          if (closing) {
            c.close();
            finish("closed");
          }
          return;
        }
        return new Promise<void>((resolve) => {
          wake = resolve;
        });
      },
      cancel() {
        finish("cancelled");
      },
    },
    { highWaterMark: 0 },
  );

  const deliverIfWaiting = (): void => {
    if (wake === null || controller === null) return;
    const w = wake;
    wake = null;
    flushInto(controller);
    if (closing) {
      controller.close();
      finish("closed");
    }
    w();
  };

  return {
    stream,
    push(frame) {
      if (ended || closing) return false;
      if (!admit(backlog, frame, limits, onOverflow)) {
        this.abort();
        return false;
      }
      // Deliver once per microtask: all deltas of one fuse apply reach the socket as one write.
      if (!flushScheduled) {
        flushScheduled = true;
        queueMicrotask(() => {
          flushScheduled = false;
          if (!ended) deliverIfWaiting();
        });
      }
      return true;
    },
    close() {
      if (ended || closing) return;
      closing = true;
      if (backlog.frames.length === 0 || wake !== null) {
        if (wake !== null) deliverIfWaiting();
        else {
          try {
            controller?.close();
          } catch {
            // already closed by the reader
          }
          finish("closed");
        }
      }
    },
    abort() {
      if (ended) return;
      const c = controller;
      finish("overflow");
      if (destroy) destroy();
      else {
        try {
          c?.error(new Error("SSE client too slow: queue limit reached"));
        } catch {
          // already errored or closed
        }
      }
    },
    disconnect() {
      if (ended) return;
      const c = controller;
      finish("cancelled");
      try {
        c?.close();
      } catch {
        // already closed or cancelled
      }
    },
    depth() {
      return backlog.frames.length;
    },
    written: () => writes,
    get ended() {
      return ended;
    },
  };
}

/** The part of a Node `ServerResponse` (or socket) a socket-backed queue writes to. */
export interface ByteSink {
  write(chunk: Uint8Array): boolean;
  end(): void;
  destroy(): void;
  once(event: "drain" | "close", listener: () => void): unknown;
  off(event: "drain" | "close", listener: () => void): unknown;
  /** Holds writes until `uncork`, which sends them in one system call (a Node response or socket has both). */
  cork?(): void;
  uncork?(): void;
}

/** A queue whose waiting frames a `FlushScheduler` writes out. */
export interface Flushable {
  flushNow(): void;
}

/**
 * Clients written per slice of a flush pass. Between slices the event loop runs I/O, and frames
 * that arrive meanwhile go out with the next write of each client: on a busy machine that is what
 * keeps the number of writes (the cost, ~3.5 µs each on a loopback) below one per client per
 * delta. A slice of 1,024 (one pass for 1,000 clients) tried for issue 26 doubled the CPU of a
 * 1,000-client fan-out on a loaded box and fell behind (BENCHMARKS.md, P12 notes).
 */
export const DEFAULT_FLUSH_SLICE = 256;

/**
 * Writes out every queue that has frames waiting in one pass for all clients (not a microtask
 * each): the first slice of `sliceSize` queues in a microtask after the frames were queued, the
 * rest in later slices with I/O between them, so a fan-out to 10,000 clients never holds the
 * event loop, and frames queued meanwhile go out with the ones before them, in one write.
 */
export interface FlushScheduler {
  schedule(queue: Flushable): void;
  /** Passes started and slices run since creation (a pass has one slice per `sliceSize` queues). */
  counts(): { passes: number; slices: number };
}

export function createFlushScheduler(sliceSize = DEFAULT_FLUSH_SLICE): FlushScheduler {
  let due: Flushable[] = [];
  let at = 0;
  let armed = false;
  let passes = 0;
  let slices = 0;
  const run = (): void => {
    slices += 1;
    const end = Math.min(due.length, at + sliceSize);
    const traced = stages.hasSubscribers;
    if (traced) stages.publish({ stage: "flush", n: end - at, pass: passes });
    while (at < end) {
      const queue = due[at]!;
      at += 1;
      queue.flushNow();
    }
    if (traced) stages.publish({ stage: "flush-end", n: due.length - at });
    if (at < due.length) {
      setImmediate(run);
      return;
    }
    due = [];
    at = 0;
    armed = false;
  };
  return {
    schedule(queue) {
      due.push(queue);
      if (armed) return;
      armed = true;
      passes += 1;
      queueMicrotask(run);
    },
    counts: () => ({ passes, slices }),
  };
}

/**
 * A queue that writes straight to a Node response (the fast path under @hono/node-server). Frames
 * are shared: the same encoded bytes go to every client, never copied per client; frames that
 * wait together go out corked, as one writev. While `write` reports the socket's buffer full,
 * frames wait here until `drain`, where the limits apply; on overflow the connection is destroyed.
 * A class, so that a connection costs one object and two bound listeners, not a dozen closures.
 */
class SinkClientQueue implements ClientQueue, Flushable, Backlog {
  frames: Uint8Array[] = [];
  bytes = 0;
  big = 0;
  private writes = 0;
  private done = false;
  private closing = false;
  private blocked = false;
  private scheduled = false;
  private readonly onClose = (): void => this.finish("cancelled");
  private readonly onDrain = (): void => {
    this.blocked = false;
    this.flushNow();
  };

  constructor(
    private readonly limits: ClientQueueLimits,
    private readonly onEnd: (reason: ClientEndReason) => void,
    private readonly sink: ByteSink,
    private readonly onOverflow: OverflowHandler | undefined,
    private readonly scheduler: FlushScheduler,
  ) {
    sink.once("close", this.onClose);
  }

  get ended(): boolean {
    return this.done;
  }

  private finish(reason: ClientEndReason): void {
    if (this.done) return;
    this.done = true;
    this.frames = [];
    this.bytes = 0;
    this.big = 0;
    this.sink.off("close", this.onClose);
    this.sink.off("drain", this.onDrain);
    this.onEnd(reason);
  }

  push(frame: Uint8Array): boolean {
    if (this.done || this.closing) return false;
    if (!admit(this, frame, this.limits, this.onOverflow)) {
      this.abort();
      return false;
    }
    if (!this.scheduled && !this.blocked) {
      this.scheduled = true;
      this.scheduler.schedule(this);
    }
    return true;
  }

  flushNow(): void {
    this.scheduled = false;
    if (this.done || this.blocked) return;
    const { frames, sink } = this;
    if (frames.length > 0) {
      this.frames = [];
      this.bytes = 0;
      this.big = 0;
      this.writes += 1;
      // Corked even for one frame: a Node response then skips its own cork and nextTick per write.
      let ok = true;
      sink.cork?.();
      for (const frame of frames) ok = sink.write(frame);
      sink.uncork?.();
      if (!ok) {
        this.blocked = true;
        sink.once("drain", this.onDrain);
        return;
      }
    }
    if (this.closing) {
      sink.end();
      this.finish("closed");
    }
  }

  close(): void {
    if (this.done || this.closing) return;
    this.closing = true;
    this.flushNow();
  }

  abort(): void {
    if (this.done) return;
    this.finish("overflow");
    this.sink.destroy();
  }

  disconnect(): void {
    this.finish("cancelled");
  }

  depth(): number {
    return this.frames.length;
  }

  written(): number {
    return this.writes;
  }
}

/** Creates a queue writing to `sink`, flushed by `scheduler` (by default one of its own). */
export function createSinkClientQueue(
  limits: ClientQueueLimits,
  onEnd: (reason: ClientEndReason) => void,
  sink: ByteSink,
  onOverflow?: OverflowHandler,
  scheduler: FlushScheduler = createFlushScheduler(),
): ClientQueue {
  return new SinkClientQueue(limits, onEnd, sink, onOverflow, scheduler);
}
