// How the bins reach a NATS broker: the credential flags and environment variables they share, the
// help text for them, and turning them into plain connection settings. Its own door
// (`@catalyst/relay/command-line`): no NATS client and no zod here, so `--help` and argument
// parsing stay fast; the client is loaded only to connect.
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { parseDuration, readTokenFile, UsageError } from "@catalyst/sources/command-line";
import { NatsCredentialsError } from "./errors.js";

export { NatsCredentialsError };

/**
 * `node:util` parseArgs definitions of the NATS connection flags. Secrets are never flags (`ps`
 * shows argv): a token or password comes from a file or the environment.
 */
export const NATS_CONNECTION_OPTIONS = {
  "nats-token-file": { type: "string" },
  "nats-user": { type: "string" },
  "nats-password-file": { type: "string" },
  "nats-creds": { type: "string" },
  "nats-tls-ca": { type: "string" },
  "nats-tls-cert": { type: "string" },
  "nats-tls-key": { type: "string" },
} as const;

/** The flag names (without `--`). */
export type NatsConnectionFlag = keyof typeof NATS_CONNECTION_OPTIONS;

/** The values of the NATS connection flags, as parsed (absent when not given). */
export type NatsConnectionFlags = Partial<Record<NatsConnectionFlag, string>>;

/** One example per flag, for "needs a value, e.g. …" messages. */
export const NATS_FLAG_EXAMPLES: Readonly<Record<NatsConnectionFlag, string>> = {
  "nats-token-file": "--nats-token-file ~/.config/catalyst/nats-token",
  "nats-user": "--nats-user catalyst",
  "nats-password-file": "--nats-password-file ~/.config/catalyst/nats-password",
  "nats-creds": "--nats-creds ~/.config/catalyst/catalyst.creds",
  "nats-tls-ca": "--nats-tls-ca /etc/nats/ca.pem",
  "nats-tls-cert": "--nats-tls-cert /etc/nats/client.pem",
  "nats-tls-key": "--nats-tls-key /etc/nats/client-key.pem",
};

/** The help block for the NATS connection flags, indented like the bins' option lists. */
export const NATS_CONNECTION_HELP = `NATS connection (with a nats:// or tls:// URL; secrets are never flags):
  --nats-token-file <path>     token on the file's first line (or env NATS_TOKEN)
  --nats-user <name>           user name (or env NATS_USER); the password from
  --nats-password-file <path>  the file's first line (or env NATS_PASSWORD)
  --nats-creds <path>          a NATS .creds file: user JWT + nkey seed (or env NATS_CREDS)
  --nats-tls-ca <path>         PEM CA that signed the broker's certificate
  --nats-tls-cert <path>       PEM client certificate (with --nats-tls-key) for mutual TLS
  --nats-tls-key <path>        PEM key of the client certificate
  A tls:// URL or any --nats-tls-* flag turns TLS on. Flags win over the environment; one way of
  authenticating at a time. Credentials in the URL (nats://user:pass@host) work too but show in
  ps; they are never printed.
`;

/** Pick the NATS connection flags out of parseArgs values. */
export function natsFlagsOf(values: Record<string, unknown>): NatsConnectionFlags {
  const flags: NatsConnectionFlags = {};
  for (const name of Object.keys(NATS_CONNECTION_OPTIONS) as NatsConnectionFlag[]) {
    const v = values[name];
    if (typeof v === "string") flags[name] = v;
    else if (Array.isArray(v) && typeof v[v.length - 1] === "string") flags[name] = v[v.length - 1] as string;
  }
  return flags;
}

const URL_ENTRY = /^(nats|tls):\/\/(?:([^@\s/]*)@)?([^\s/@]+)$/i;

/** A NATS URL (or comma-separated list) with any `user:pass@` or `token@` replaced by `***@`, for logs. */
export function redactUrl(url: string): string {
  return url
    .split(",")
    .map((entry) => entry.replace(/^(\s*(?:[a-z][a-z0-9+.-]*:\/\/)?)[^@/\s]*@/i, "$1***@"))
    .join(",");
}

/** What a `--publish`/`--nats` URL says: the servers (credentials removed), TLS, credentials in it. */
export interface NatsUrl {
  /** `scheme://host:port` per entry, without credentials. */
  servers: string[];
  /** A `tls://` entry asks for TLS. */
  tls: boolean;
  user?: string;
  pass?: string;
  token?: string;
}

/**
 * The bins' check of a NATS URL flag (`--publish`, `--nats`): a UsageError that never echoes the
 * URL (it may hold a password) when `url` is not one.
 */
export function checkNatsUrlFlag(flag: string, url: string): void {
  if (parseNatsUrl(url) === null)
    throw new UsageError(
      `${flag} must be a NATS URL such as nats://127.0.0.1:4222 or tls://host:4222 (a comma-separated list for a cluster)`,
      { flag },
    );
}

/**
 * Read a NATS URL or a comma-separated list of them (`nats://host:4222`, `tls://…`, with optional
 * `user:pass@` or `token@`). Null when it is not one; the caller says so without echoing it.
 */
export function parseNatsUrl(text: string): NatsUrl | null {
  const entries = text.split(",").map((e) => e.trim());
  if (entries.length === 0 || entries.some((e) => e === "")) return null;
  const url: NatsUrl = { servers: [], tls: false };
  let userinfo: string | undefined;
  for (const entry of entries) {
    const m = URL_ENTRY.exec(entry);
    if (!m) return null;
    const scheme = m[1]!.toLowerCase();
    if (scheme === "tls") url.tls = true;
    url.servers.push(`${scheme}://${m[3]}`);
    if (m[2] !== undefined) {
      // Every entry of a cluster list names the same account; two different ones is a mistake.
      if (userinfo !== undefined && userinfo !== m[2]) return null;
      userinfo = m[2];
    }
  }
  if (userinfo !== undefined && userinfo !== "") {
    try {
      const colon = userinfo.indexOf(":");
      if (colon === -1) url.token = decodeURIComponent(userinfo);
      else {
        url.user = decodeURIComponent(userinfo.slice(0, colon));
        url.pass = decodeURIComponent(userinfo.slice(colon + 1));
      }
    } catch {
      return null;
    }
  }
  return url;
}

/** Credentials and TLS as plain data; `@catalyst/relay` turns them into NATS `connect()` options. */
export interface NatsAuth {
  token?: string;
  user?: string;
  pass?: string;
  /** The contents of a `.creds` file (user JWT + nkey seed). */
  creds?: Uint8Array;
  /** TLS on, with these PEM contents (absent: the system CAs, no client certificate). */
  tls?: { ca?: string; cert?: string; key?: string };
}

/** Where to connect and how, plus a description of the auth without any secret, for logs. */
export interface NatsConnectionSettings {
  servers: string[];
  auth: NatsAuth;
  /** E.g. "token from NATS_TOKEN, TLS with CA /etc/nats/ca.pem". */
  description: string;
}

/** Caps of the files read: a token or password line, a creds file, a PEM file. */
const CREDS_MAX_BYTES = 64 * 1024;
const PEM_MAX_BYTES = 1024 * 1024;

/**
 * Turn a NATS URL, the connection flags and the environment (`NATS_TOKEN`, `NATS_USER`,
 * `NATS_PASSWORD`, `NATS_CREDS`) into connection settings, reading the files named (each with a
 * size cap). Flags win over the environment; two ways of authenticating at once is an error.
 * Throws NatsCredentialsError (naming the flag or variable and the file, never a secret).
 */
export async function resolveNatsConnection(
  urlText: string,
  flags: NatsConnectionFlags,
  env: Record<string, string | undefined>,
  cwd: string = process.cwd(),
): Promise<NatsConnectionSettings> {
  const url = parseNatsUrl(urlText);
  if (url === null)
    throw new NatsCredentialsError(
      "the broker must be a NATS URL such as nats://127.0.0.1:4222 or tls://host:4222 (a comma-separated list for a cluster)",
      "url",
    );
  const e = (name: string): string | undefined => (env[name] === "" ? undefined : env[name]);
  const path = (p: string) => resolve(cwd, p);
  const auth: NatsAuth = {};
  const parts: string[] = [];

  const fromFlags = ["nats-token-file", "nats-user", "nats-password-file", "nats-creds"].filter(
    (f) => flags[f as NatsConnectionFlag] !== undefined,
  );
  const inUrl = url.token !== undefined || url.user !== undefined;
  if (inUrl && fromFlags.length > 0)
    throw new NatsCredentialsError(
      `the URL holds credentials and --${fromFlags[0]} gives more; give them one way`,
      `--${fromFlags[0]}`,
    );
  const methods: string[] = [];
  if (flags["nats-token-file"] !== undefined) methods.push("--nats-token-file");
  if (flags["nats-user"] !== undefined || flags["nats-password-file"] !== undefined)
    methods.push(flags["nats-user"] !== undefined ? "--nats-user" : "--nats-password-file");
  if (flags["nats-creds"] !== undefined) methods.push("--nats-creds");
  if (methods.length > 1)
    throw new NatsCredentialsError(
      `${methods[0]} and ${methods[1]} are two ways of authenticating; give one`,
      methods[1]!,
    );

  if (flags["nats-token-file"] !== undefined) {
    auth.token = await readLine("--nats-token-file", path(flags["nats-token-file"]));
    parts.push(`token from --nats-token-file ${path(flags["nats-token-file"])}`);
  } else if (flags["nats-user"] !== undefined || flags["nats-password-file"] !== undefined) {
    const user = flags["nats-user"] ?? e("NATS_USER");
    if (user === undefined || user.trim() === "")
      throw new NatsCredentialsError(
        "--nats-password-file needs a user name: --nats-user <name> or NATS_USER",
        "--nats-user",
      );
    auth.user = user;
    if (flags["nats-password-file"] !== undefined) {
      auth.pass = await readLine("--nats-password-file", path(flags["nats-password-file"]));
      parts.push(`user ${user}, password from --nats-password-file ${path(flags["nats-password-file"])}`);
    } else if (e("NATS_PASSWORD") !== undefined) {
      auth.pass = e("NATS_PASSWORD")!;
      parts.push(`user ${user}, password from NATS_PASSWORD`);
    } else
      throw new NatsCredentialsError(
        "--nats-user needs a password: --nats-password-file <path> or NATS_PASSWORD",
        "--nats-user",
      );
  } else if (flags["nats-creds"] !== undefined) {
    auth.creds = await readCreds("--nats-creds", path(flags["nats-creds"]));
    parts.push(`creds file ${path(flags["nats-creds"])}`);
  } else if (url.token !== undefined) {
    auth.token = url.token;
    parts.push("token from the URL");
  } else if (url.user !== undefined) {
    auth.user = url.user;
    auth.pass = url.pass ?? "";
    parts.push(`user ${url.user} from the URL`);
  } else {
    const set = ["NATS_TOKEN", "NATS_USER", "NATS_CREDS"].filter((n) => e(n) !== undefined);
    if (set.length > 1)
      throw new NatsCredentialsError(`${set[0]} and ${set[1]} are both set; unset one`, set[1]!);
    if (e("NATS_TOKEN") !== undefined) {
      auth.token = e("NATS_TOKEN")!;
      parts.push("token from NATS_TOKEN");
    } else if (e("NATS_USER") !== undefined) {
      const pass = e("NATS_PASSWORD");
      if (pass === undefined)
        throw new NatsCredentialsError(
          "NATS_USER needs a password: NATS_PASSWORD or --nats-password-file <path>",
          "NATS_USER",
        );
      auth.user = e("NATS_USER")!;
      auth.pass = pass;
      parts.push(`user ${auth.user}, password from NATS_PASSWORD`);
    } else if (e("NATS_CREDS") !== undefined) {
      auth.creds = await readCreds("NATS_CREDS", path(e("NATS_CREDS")!));
      parts.push(`creds file ${path(e("NATS_CREDS")!)} (NATS_CREDS)`);
    } else parts.push("no credentials");
  }

  const ca = flags["nats-tls-ca"];
  const cert = flags["nats-tls-cert"];
  const key = flags["nats-tls-key"];
  if ((cert === undefined) !== (key === undefined))
    throw new NatsCredentialsError(
      cert === undefined
        ? "--nats-tls-key needs --nats-tls-cert (the client certificate it belongs to)"
        : "--nats-tls-cert needs --nats-tls-key (the certificate's private key)",
      cert === undefined ? "--nats-tls-key" : "--nats-tls-cert",
    );
  if (url.tls || ca !== undefined || cert !== undefined) {
    auth.tls = {};
    const tlsParts: string[] = [];
    if (ca !== undefined) {
      auth.tls.ca = await readPem("--nats-tls-ca", path(ca));
      tlsParts.push(`CA ${path(ca)}`);
    } else tlsParts.push("system CAs");
    if (cert !== undefined && key !== undefined) {
      auth.tls.cert = await readPem("--nats-tls-cert", path(cert));
      auth.tls.key = await readPem("--nats-tls-key", path(key));
      tlsParts.push(`client certificate ${path(cert)}`);
    }
    parts.push(`TLS with ${tlsParts.join(", ")}`);
  }
  return { servers: url.servers, auth, description: parts.join(", ") };
}

async function readLine(flag: string, file: string): Promise<string> {
  const read = await readTokenFile(file);
  if (!read.ok) throw new NatsCredentialsError(`${flag} ${file} ${read.problem}`, flag);
  return read.token;
}

async function readCreds(flag: string, file: string): Promise<Uint8Array> {
  const data = await readCapped(flag, file, CREDS_MAX_BYTES);
  if (!data.includes("NKEY SEED"))
    throw new NatsCredentialsError(`${flag} ${file} is not a NATS creds file (no nkey seed in it)`, flag);
  return data;
}

async function readPem(flag: string, file: string): Promise<string> {
  const data = await readCapped(flag, file, PEM_MAX_BYTES);
  const text = data.toString("utf8");
  if (!text.includes("-----BEGIN "))
    throw new NatsCredentialsError(`${flag} ${file} is not a PEM file (no -----BEGIN line)`, flag);
  return text;
}

/** A small regular file, whole; a FIFO, a directory or a file over `max` bytes is refused. */
async function readCapped(flag: string, file: string, max: number): Promise<Buffer> {
  try {
    const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const st = await handle.stat();
      if (!st.isFile() || st.size > max)
        throw new NatsCredentialsError(
          `${flag} ${file} is not a regular file of at most ${max / 1024} KiB`,
          flag,
        );
      const data = await handle.readFile();
      if (data.length === 0) throw new NatsCredentialsError(`${flag} ${file} is empty`, flag);
      return data;
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof NatsCredentialsError) throw error;
    const code = (error as { code?: string }).code ?? String(error);
    throw new NatsCredentialsError(`${flag} ${file} cannot be read (${code})`, flag, { cause: error });
  }
}

/** `node:util` parseArgs definitions of the flags that choose a monitor's role on a broker. */
export const RELAY_ROLE_OPTIONS = {
  publish: { type: "string" },
  "host-name": { type: "string" },
  nats: { type: "string" },
  "stale-after": { type: "string" },
  "forget-after": { type: "string" },
  durable: { type: "string" },
  "nats-wait": { type: "string" },
} as const;

/** @default `--stale-after`: six missed heartbeats (publishers beat every 5 s). */
export const DEFAULT_STALE_AFTER_MS = 30_000;
/** @default `--forget-after`: a week without a heartbeat. */
/**
 * `--stale-after`'s value in ms ({@link DEFAULT_STALE_AFTER_MS} when absent). Throws `UsageError`
 * for anything but a duration of at least 1 s.
 */
export function staleAfterOf(value: string | undefined): number {
  if (value === undefined) return DEFAULT_STALE_AFTER_MS;
  const parsed = parseDuration(value);
  if (parsed === null || parsed < 1000)
    throw new UsageError(
      `--stale-after must be a duration of at least 1s such as 30s, 2m, got ${JSON.stringify(value)}`,
    );
  return parsed;
}

export const DEFAULT_FORGET_AFTER_MS = 7 * 24 * 60 * 60 * 1000;
/** @default `--durable` */
export const DEFAULT_DURABLE = "catalyst-central";
/** @default `--nats-wait`: how long start-up waits for a broker that is down, starting or slow. */
export const DEFAULT_NATS_WAIT_MS = 60_000;

/** The role flags after validation: publish a catalyst dir, or read every host centrally. */
export interface RelayRoleFlags {
  /** `--publish <nats-url>`: also publish the catalyst dir to this NATS JetStream broker. */
  publish: string | null;
  /** `--host-name`: this machine's name on the broker (default the hostname). */
  hostName: string;
  /** `--nats <nats-url>`: the central monitor of every host publishing there (no catalyst dir). */
  nats: string | null;
  /** `--stale-after`: a host without a heartbeat this long is stale (ms). */
  staleAfterMs: number;
  /** `--forget-after`: a host without a heartbeat this long is gone for good, its keys deleted (ms); null: never (`0`). */
  forgetAfterMs: number | null;
  /** `--durable`: the central monitor's consumer name on the broker. */
  durable: string;
  /**
   * `--nats-wait`: how long start-up waits for a broker that cannot be reached yet or does not
   * answer its JetStream requests in time, before giving up (ms; 0: an unreachable broker fails at once).
   */
  natsWaitMs: number;
}

/**
 * Reads and checks the role flags (`RELAY_ROLE_OPTIONS`) out of parseArgs values; `dirGiven` and
 * `demo` say whether the command line also named a catalyst dir or the demo. A bad flag or a
 * combination that cannot work throws `UsageError`.
 */
export function relayRoleFlagsOf(
  values: Partial<Record<keyof typeof RELAY_ROLE_OPTIONS, string>>,
  context: { dirGiven: boolean; demo: boolean },
): RelayRoleFlags {
  const publish = values.publish ?? null;
  if (publish !== null) checkNatsUrlFlag("--publish", publish);
  if (values["host-name"] !== undefined && publish === null)
    throw new UsageError("--host-name names this machine on the broker; pass --publish with it");
  const hostName = values["host-name"] ?? hostname();
  const nats = values.nats ?? null;
  if (nats !== null) {
    checkNatsUrlFlag("--nats", nats);
    if (context.dirGiven)
      throw new UsageError("--nats reads every host from the broker; do not pass --dir with it");
    if (context.demo)
      throw new UsageError("--nats and --demo cannot be combined (the demo is one local fleet)");
    if (publish !== null)
      throw new UsageError(
        "--nats reads from the broker and --publish writes to it; run them as two monitors",
      );
  }
  if (values["stale-after"] !== undefined && nats === null)
    throw new UsageError("--stale-after applies to the central monitor; pass --nats with it");
  if (values["forget-after"] !== undefined && nats === null)
    throw new UsageError("--forget-after applies to the central monitor; pass --nats with it");
  if (values.durable !== undefined && nats === null)
    throw new UsageError("--durable names the central monitor's consumer; pass --nats with it");
  const staleAfterMs = staleAfterOf(values["stale-after"]);
  let forgetAfterMs: number | null = DEFAULT_FORGET_AFTER_MS;
  const forget = values["forget-after"];
  if (forget !== undefined) {
    const parsed = forget.trim() === "0" ? 0 : parseDuration(forget);
    if (parsed === null || (parsed > 0 && parsed < 60_000))
      throw new UsageError(
        `--forget-after must be 0 (never) or a duration of at least 1m such as 7d, 12h, got ${JSON.stringify(forget)}`,
      );
    if (parsed > 0 && parsed <= staleAfterMs)
      throw new UsageError(
        `--forget-after (${forget}) must be longer than --stale-after: a host is stale before it is forgotten`,
      );
    forgetAfterMs = parsed === 0 ? null : parsed;
  }
  if (values["nats-wait"] !== undefined && nats === null && publish === null)
    throw new UsageError("--nats-wait applies to --nats or --publish; pass one of them with it");
  let natsWaitMs = DEFAULT_NATS_WAIT_MS;
  const wait = values["nats-wait"];
  if (wait !== undefined) {
    const parsed = wait.trim() === "0" ? 0 : parseDuration(wait);
    if (parsed === null || parsed > 60 * 60_000)
      throw new UsageError(
        `--nats-wait must be 0 (do not wait) or a duration of at most 1h such as 30s, 5m, got ${JSON.stringify(wait)}`,
      );
    natsWaitMs = parsed;
  }
  const durable = values.durable ?? DEFAULT_DURABLE;
  // A JetStream consumer name: no whitespace, dots, wildcards or path separators.
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(durable))
    throw new UsageError(`--durable must be 1 to 64 letters, digits, - or _, got ${JSON.stringify(durable)}`);
  if (hostName.trim() === "" || hostName.length > 200)
    throw new UsageError("--host-name must be a non-empty name of at most 200 characters");
  return { publish, hostName, nats, staleAfterMs, forgetAfterMs, durable, natsWaitMs };
}
