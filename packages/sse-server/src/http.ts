// Serving the hub over Node's http: the SSE response of one `GET /events` request (written straight
// to the Node response when there is one, else a web stream), and a listening server that turns
// EADDRINUSE into PortInUseError. Still no HTTP framework: any request listener will do.
import { createServer, type RequestListener, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { OpenClientOptions, SseHub } from "./sse-hub.js";

/** The headers of an SSE response (no caching, no proxy buffering). */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  "Content-Type": "text/event-stream; charset=utf-8",
  "Cache-Control": "no-cache, no-transform",
  "X-Accel-Buffering": "no",
};

/**
 * The response to one SSE request: for HEAD the headers a GET would get and no stream; with a Node
 * response (`outgoing`, headers not sent yet) the stream is written to it directly and null comes
 * back (the response is sent); else a web `Response` around `hub.open`. `headers` are added to
 * SSE_HEADERS.
 */
export function respondSse(
  hub: SseHub,
  open: OpenClientOptions,
  request: {
    head?: boolean;
    outgoing?: ServerResponse;
    headers?: Record<string, string>;
    onError?: (error: unknown) => void;
  },
): Response | null {
  const headers = { ...SSE_HEADERS, ...request.headers };
  if (request.head) return new Response(null, { status: 200, headers });
  const { outgoing } = request;
  if (outgoing === undefined || outgoing.headersSent)
    return new Response(hub.open(open), { status: 200, headers });
  // No web-stream hop per frame: that cut the CPU of a 1,000-client fan-out by about 40%
  // (BENCHMARKS.md, P3). No chunked framing either: the stream ends only with its connection, so
  // its body is delimited by the close (RFC 9112 §6.3), and each write is the shared frame bytes
  // alone rather than a hex length, the frame and two CRLFs (BENCHMARKS.md, P12). The headers go
  // out with the first frames, in the same write.
  outgoing.removeHeader("transfer-encoding");
  outgoing.writeHead(200, { ...headers, Connection: "close" });
  try {
    hub.attach(open, outgoing);
  } catch (error) {
    // The headers are out: a 500 can no longer be sent, so end the stream (the client
    // reconnects) rather than let an error handler write into it.
    request.onError?.(error);
    outgoing.destroy();
  }
  return null;
}

/** The port is taken by another process. */
export class PortInUseError extends Error {
  override name = "PortInUseError";
  readonly port: number;
  constructor(port: number, options?: { cause?: unknown }) {
    super(`port ${port} is in use (try --port 0 or another port)`, options);
    this.port = port;
  }
}

/** A listening HTTP server. */
export interface Listening {
  readonly server: Server;
  readonly port: number;
  /** Stops accepting, ends open connections (SSE streams included) and resolves when closed. */
  close(): Promise<void>;
}

/**
 * The accept queue asked of the kernel (it caps it at `net.core.somaxconn`, 4096 on Linux since
 * 5.4). Node's default is 511: 10,000 EventSources reconnecting at once (a monitor restart)
 * overflowed it while the event loop was busy sending snapshots, and the kernel dropped the
 * handshakes past it (`ListenOverflows` in /proc/net/netstat), so clients waited for SYN
 * retransmits (1 s, 3 s, ...) or were reset (issue 26).
 */
export const LISTEN_BACKLOG = 4096;

/** Serves `listener` on host:port (port 0 picks a free one); EADDRINUSE becomes PortInUseError. */
export function listenHttp(
  listener: RequestListener,
  options: { host: string; port: number; backlog?: number },
): Promise<Listening> {
  const server = createServer(listener);
  // SSE connections are long-lived by design: no request or keep-alive timeout may cut them.
  server.requestTimeout = 0;
  server.headersTimeout = 30_000;
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off("listening", onListening);
      reject(error.code === "EADDRINUSE" ? new PortInUseError(options.port, { cause: error }) : error);
    };
    const onListening = (): void => {
      server.off("error", onError);
      const port = (server.address() as AddressInfo).port;
      resolve({
        server,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen({ port: options.port, host: options.host, backlog: options.backlog ?? LISTEN_BACKLOG });
  });
}
