import { createHash, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import type { MiddlewareHandler } from "hono";
import { jsonError } from "./json-error.js";

/** Who may talk to the app: the bound host and port, and an optional bearer token. */
export interface AccessOptions {
  /** The host the server binds to (`127.0.0.1` by default). */
  host: string;
  /** The listening port; a function because `--port 0` learns its port only after listen. */
  port: number | (() => number);
  /** Required on every route when set (`Authorization: Bearer <t>` or `?token=`). */
  token: string | null;
}

const LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]"];

/** True for names that only reach this machine: `localhost`, 127.0.0.0/8 and `::1`. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  if (bare === "localhost") return true;
  if (isIP(bare) === 4) return bare.startsWith("127.");
  if (isIP(bare) === 6) return bare === "::1" || bare === "0:0:0:0:0:0:0:1";
  return false;
}

/** The host name as it appears in a URL or a Host header (IPv6 literals in brackets). */
export function formatUrlHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** The `Host` header values accepted for a server on this host and port. */
export function allowedHostHeaders(host: string, port: number): Set<string> {
  const names = new Set([...LOOPBACK_NAMES, formatUrlHost(host).toLowerCase()]);
  return new Set([...names].map((name) => `${name}:${port}`));
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

function tokenMatches(given: string | null, expected: Buffer): boolean {
  if (given === null) return false;
  return timingSafeEqual(digest(given), expected);
}

function bearerToken(header: string | undefined): string | null {
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

/**
 * DNS-rebinding and cross-site defence (issue 7, B6): the Host must name this server on an
 * allowed name and port, a non-empty Origin must be this same origin, and when a token is set
 * every request must carry it. No CORS header is ever added.
 */
export function createAccessGuard(options: AccessOptions): MiddlewareHandler {
  const portOf = typeof options.port === "function" ? options.port : () => options.port as number;
  const expectedToken = options.token === null ? null : digest(options.token);
  let cache: { port: number; hosts: Set<string> } | null = null;
  return async (c, next) => {
    const port = portOf();
    if (cache?.port !== port) cache = { port, hosts: allowedHostHeaders(options.host, port) };
    const host = c.req.header("host")?.trim().toLowerCase() ?? "";
    if (!cache.hosts.has(host))
      return jsonError(c, 403, "forbidden_host", `Host ${JSON.stringify(host.slice(0, 100))} is not allowed`);
    const origin = c.req.header("origin")?.trim().toLowerCase() ?? "";
    if (origin !== "" && !(origin.startsWith("http://") && cache.hosts.has(origin.slice("http://".length))))
      return jsonError(
        c,
        403,
        "forbidden_origin",
        `Origin ${JSON.stringify(origin.slice(0, 100))} is not allowed`,
      );
    if (expectedToken !== null) {
      const given = bearerToken(c.req.header("authorization")) ?? c.req.query("token") ?? null;
      if (!tokenMatches(given, expectedToken))
        return jsonError(
          c,
          401,
          "unauthorized",
          "a valid token is required (Authorization: Bearer or ?token=)",
        );
    }
    await next();
  };
}
