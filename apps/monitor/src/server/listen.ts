// The app on a socket: sse-server's listenHttp (PortInUseError on a taken port) running Hono.
import { type Listening, listenHttp } from "@catalyst/sse-server";
import { getRequestListener } from "@hono/node-server";
import type { Hono } from "hono";

export type { Listening };

/** Serves the app on host:port (port 0 picks a free one); EADDRINUSE becomes `PortInUseError`. */
export function listenApp(app: Hono, options: { host: string; port: number }): Promise<Listening> {
  return listenHttp(getRequestListener(app.fetch), options);
}
