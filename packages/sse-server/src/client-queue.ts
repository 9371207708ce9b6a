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
}

/**
 * Queues a frame within the limits. On overflow the backlog becomes the handler's replacement
 * frame; false when there is none (the caller then drops the client). One frame larger than
 * maxBytes (a big snapshot) still goes out; a backlog does not.
 */
function admit(
  backlog: Backlog,
  frame: Uint8Array,
  limits: ClientQueueLimits,
  onOverflow: OverflowHandler | undefined,
): boolean {
  backlog.frames.push(frame);
  backlog.bytes += frame.byteLength;
  const { frames, bytes } = backlog;
  if (frames.length > limits.maxFrames || (frames.length > 1 && bytes > limits.maxBytes)) {
    const replacement = onOverflow?.() ?? null;
    if (replacement === null) return false;
    backlog.frames = [replacement];
    backlog.bytes = replacement.byteLength;
  }
  return true;
}

/** Empties the backlog and returns its frames as one chunk (null when it was empty). */
function takeAll(backlog: Backlog): Uint8Array | null {
  const { frames, bytes } = backlog;
  if (frames.length === 0) return null;
  backlog.frames = [];
  backlog.bytes = 0;
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
  const backlog: Backlog = { frames: [], bytes: 0 };
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

/** The part of a Node `ServerResponse` a socket-backed queue writes to. */
export interface ByteSink {
  write(chunk: Uint8Array): boolean;
  end(): void;
  destroy(): void;
  once(event: "drain" | "close", listener: () => void): unknown;
  off(event: "drain" | "close", listener: () => void): unknown;
}

/**
 * Creates a queue that writes straight to a Node response, the fast path under
 * @hono/node-server: while `write` reports the socket's buffer full, frames wait here until
 * `drain`, where the same limits apply; on overflow the connection is destroyed.
 */
export function createSinkClientQueue(
  limits: ClientQueueLimits,
  onEnd: (reason: ClientEndReason) => void,
  sink: ByteSink,
  onOverflow?: OverflowHandler,
): ClientQueue {
  const backlog: Backlog = { frames: [], bytes: 0 };
  let writes = 0;
  let ended = false;
  let closing = false;
  let blocked = false;
  let flushScheduled = false;

  const onClose = (): void => finish("cancelled");
  const onDrain = (): void => {
    blocked = false;
    flush();
  };
  const finish = (reason: ClientEndReason): void => {
    if (ended) return;
    ended = true;
    takeAll(backlog);
    sink.off("close", onClose);
    sink.off("drain", onDrain);
    onEnd(reason);
  };
  const flush = (): void => {
    if (ended || blocked) return;
    const out = takeAll(backlog);
    if (out !== null) {
      writes += 1;
      if (!sink.write(out)) {
        blocked = true;
        sink.once("drain", onDrain);
        return;
      }
    }
    if (closing) {
      sink.end();
      finish("closed");
    }
  };
  sink.once("close", onClose);

  return {
    push(frame) {
      if (ended || closing) return false;
      if (!admit(backlog, frame, limits, onOverflow)) {
        this.abort();
        return false;
      }
      // One write per microtask: all deltas of one fuse apply reach the socket together.
      if (!flushScheduled && !blocked) {
        flushScheduled = true;
        queueMicrotask(() => {
          flushScheduled = false;
          flush();
        });
      }
      return true;
    },
    close() {
      if (ended || closing) return;
      closing = true;
      flush();
    },
    abort() {
      if (ended) return;
      finish("overflow");
      sink.destroy();
    },
    disconnect() {
      finish("cancelled");
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
