// Who may talk to a monitor: the Host/Origin rules against DNS rebinding and cross-site requests,
// and the bearer token. Framework-free: the app turns a refusal into its HTTP response.
import { createHash, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import { networkInterfaces } from "node:os";

/** Who may talk to the app: the bound host and port, and an optional bearer token. */
export interface AccessOptions {
  /** The host the server binds to (`127.0.0.1` by default). */
  host: string;
  /** The listening port; a function because `--port 0` learns its port only after listen. */
  port: number | (() => number);
  /** Required on every route when set (`Authorization: Bearer <t>` or `?token=`). */
  token: string | null;
  /** Extra Host names to accept (`--allow-host`), without a port. */
  allowHosts?: readonly string[];
  /** This machine's addresses, accepted for a wildcard bind. @default every interface address */
  interfaceAddresses?: () => string[];
}

/** Every address of every network interface (what a remote browser may put in `Host`). */
export function localInterfaceAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.push(a.address);
  return out;
}

/** True for a bind on every interface. */
export function isWildcard(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  return bare === "0.0.0.0" || bare === "::" || bare === "0:0:0:0:0:0:0:0";
}

/** Interface addresses can change (DHCP, VPN): look again at most this often. */
const INTERFACES_TTL_MS = 30_000;

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

/**
 * The `Host` header values accepted for a server on this host and port: the loopback names, the
 * bound address, `extra` names (the machine's addresses for a wildcard bind, `--allow-host`), each
 * with the port, and also without it on ports 80 and 443, where browsers leave it out.
 */
export function allowedHostHeaders(host: string, port: number, extra: readonly string[] = []): Set<string> {
  const names = new Set([...LOOPBACK_NAMES, formatUrlHost(host).toLowerCase()]);
  for (const name of extra) names.add(formatUrlHost(name.replace(/^\[(.*)\]$/, "$1")).toLowerCase());
  const out = new Set<string>();
  for (const name of names) {
    out.add(`${name}:${port}`);
    if (port === 80 || port === 443) out.add(name);
  }
  return out;
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

/** A request as the check sees it (header values as sent, or undefined). */
export interface AccessRequest {
  host: string | undefined;
  origin: string | undefined;
  authorization: string | undefined;
  /** The `?token=` query parameter. */
  queryToken: string | undefined;
}

/** Why a request is refused: the HTTP status, an error code and a one-line message. */
export interface AccessRefusal {
  status: 401 | 403;
  code: "forbidden_host" | "forbidden_origin" | "unauthorized";
  message: string;
}

/**
 * DNS-rebinding and cross-site defence: the Host must name this server on an allowed name and
 * port, a non-empty Origin must be this same origin, and when a token is set every request must
 * carry it. Returns null for a request that may pass.
 */
export function createAccessCheck(options: AccessOptions): (request: AccessRequest) => AccessRefusal | null {
  const portOf = typeof options.port === "function" ? options.port : () => options.port as number;
  const expectedToken = options.token === null ? null : digest(options.token);
  const interfaces = options.interfaceAddresses ?? localInterfaceAddresses;
  const wildcard = isWildcard(options.host);
  let cache: { port: number; hosts: Set<string>; at: number } | null = null;
  return (request) => {
    const port = portOf();
    const now = Date.now();
    if (cache?.port !== port || (wildcard && now - cache.at > INTERFACES_TTL_MS)) {
      const extra = [...(options.allowHosts ?? []), ...(wildcard ? interfaces() : [])];
      cache = { port, hosts: allowedHostHeaders(options.host, port, extra), at: now };
    }
    const host = request.host?.trim().toLowerCase() ?? "";
    if (!cache.hosts.has(host))
      return {
        status: 403,
        code: "forbidden_host",
        message: `Host ${JSON.stringify(host.slice(0, 100))} is not allowed`,
      };
    const origin = request.origin?.trim().toLowerCase() ?? "";
    const originHost = /^http:\/\/(.*)$/.exec(origin)?.[1];
    if (origin !== "" && !(originHost !== undefined && cache.hosts.has(originHost)))
      return {
        status: 403,
        code: "forbidden_origin",
        message: `Origin ${JSON.stringify(origin.slice(0, 100))} is not allowed`,
      };
    if (expectedToken !== null) {
      const given = bearerToken(request.authorization) ?? request.queryToken ?? null;
      if (!tokenMatches(given, expectedToken))
        return {
          status: 401,
          code: "unauthorized",
          message: "a valid token is required (Authorization: Bearer or ?token=)",
        };
    }
    return null;
  };
}
