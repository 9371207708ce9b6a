import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import type { Hono } from "hono";
import { PortInUseError } from "../errors.js";

/** A listening HTTP server running the app. */
export interface Listening {
  readonly server: Server;
  readonly port: number;
  /** Stops accepting, ends open connections (SSE streams included) and resolves when closed. */
  close(): Promise<void>;
}

/** Serves the app on host:port (port 0 picks a free one); EADDRINUSE becomes `PortInUseError`. */
export function listenApp(app: Hono, options: { host: string; port: number }): Promise<Listening> {
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
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
    server.listen(options.port, options.host);
  });
}
