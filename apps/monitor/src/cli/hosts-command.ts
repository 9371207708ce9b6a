// `catalyst-monitor hosts list|forget`: the hosts a NATS broker knows, and forgetting one gone for
// good (its KV keys deleted, so every central monitor drops it). The work is the relay's; this is
// the command line around it.
import { parseArgs } from "node:util";
import {
  checkNatsUrlFlag,
  NATS_CONNECTION_HELP,
  NATS_CONNECTION_OPTIONS,
  natsFlagsOf,
  staleAfterOf,
} from "@catalyst/relay/command-line";
import { reportCliError, UsageError } from "@catalyst/sources/command-line";
import type { MainIo } from "../main.js";
import { resolveBrokerConnection } from "./nats-connection.js";

const BIN = "catalyst-monitor";

export const HOSTS_HELP_TEXT = `catalyst-monitor hosts: the hosts publishing to a NATS broker, and forgetting one gone for good

Usage:
  catalyst-monitor hosts list --nats <nats-url> [--nats-* ...]
  catalyst-monitor hosts forget <host> --nats <nats-url> [--force] [--stale-after 30s] [--nats-* ...]

Actions:
  list     every host with a key on the broker: its last heartbeat, how many keys it has, and
           how many event-log lines it could not take (invalid, oversized, unreadable) since
           its publisher started, when any
  forget   delete every key the host has on the broker (its workers, states, liveness answers
           and heartbeat): every central monitor drops the host and its workers at once. Its
           event-log lines and their time index are purged from the broker too, so the host
           does not come back in /api/events, catalyst-replay --nats or a restarted central
           monitor's history (a running central monitor keeps what it already folded from
           them until it restarts). Refused while the host still beats (its publisher would write its keys again):
           stop its monitor first, or pass --force. A central monitor forgets a host by itself
           once it has been silent for --forget-after (default 7d).

Options:
  --nats <url>         the broker (nats://host:4222; a comma-separated list for a cluster)
  --force              forget the host even though its heartbeat is recent
  --stale-after <d>    how recent a heartbeat counts as "still running" (default 30s)
  -h, --help           show this help

${NATS_CONNECTION_HELP}
Exit codes: 0 done, 1 failed (the broker, an unknown host, a host still running), 2 bad usage.
`;

const OPTIONS = {
  nats: { type: "string" },
  force: { type: "boolean" },
  "stale-after": { type: "string" },
  help: { type: "boolean", short: "h" },
  ...NATS_CONNECTION_OPTIONS,
} as const;

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  if (s < 172_800) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86_400)}d ago`;
}

/** `catalyst-monitor hosts …`: returns the exit code. */
export async function runHostsCommand(argv: readonly string[], io: MainIo): Promise<number> {
  try {
    let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
    try {
      parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
    } catch (error) {
      throw new UsageError(`${error instanceof Error ? error.message : String(error)} (see hosts --help)`);
    }
    const { values, positionals } = parsed;
    if (values.help) {
      io.stdout(HOSTS_HELP_TEXT);
      return 0;
    }
    const [action, ...rest] = positionals;
    if (action === undefined) {
      io.stderr(HOSTS_HELP_TEXT);
      return 2;
    }
    if (action !== "list" && action !== "forget")
      throw new UsageError(
        `unknown hosts action ${JSON.stringify(action)} (list or forget; see hosts --help)`,
      );
    if (action === "list" && rest.length > 0)
      throw new UsageError(`hosts list takes no host name, got ${JSON.stringify(rest[0])}`);
    if (action === "forget" && rest.length !== 1)
      throw new UsageError(
        "hosts forget takes exactly one host name, e.g. hosts forget old-box --nats nats://broker:4222",
      );
    if (values.nats === undefined)
      throw new UsageError(`hosts ${action} needs --nats <nats-url> (the broker)`);
    checkNatsUrlFlag("--nats", values.nats);
    if (action === "list" && (values.force || values["stale-after"] !== undefined))
      throw new UsageError("--force and --stale-after apply to hosts forget");
    const staleAfterMs = staleAfterOf(values["stale-after"]);
    const broker = await resolveBrokerConnection(values.nats, natsFlagsOf(values), io.env);
    // The NATS client is loaded only for an action that talks to the broker.
    const relay = await import("@catalyst/relay");
    const where = relay.redactUrl(values.nats);
    const connection = { servers: broker.servers, auth: broker.auth, maxReconnectAttempts: 0 };
    const hosts = await relay.listBrokerHosts(connection);
    const now = Date.now();
    if (action === "list") {
      if (hosts.length === 0) io.stdout(`no host has published to ${where}\n`);
      for (const h of hosts) {
        const beat =
          h.lastHeartbeat === null
            ? "no heartbeat"
            : `last heartbeat ${ago(now - h.lastHeartbeat.getTime())}`;
        // Lines the host could not take (its skipped-line markers), as its sourceErrors say per file.
        const skipped =
          h.skipped.lines === 0
            ? ""
            : `\t${h.skipped.lines} log line${h.skipped.lines === 1 ? "" : "s"} skipped in ${h.skipped.files} file${h.skipped.files === 1 ? "" : "s"}`;
        io.stdout(`${h.name}\t${beat}\t${h.keys} key${h.keys === 1 ? "" : "s"}${skipped}\n`);
      }
      return 0;
    }
    const name = rest[0]!;
    const host = hosts.find((h) => h.name === name);
    if (host === undefined) {
      const known = hosts.length === 0 ? "none" : hosts.map((h) => h.name).join(", ");
      throw new Error(`no host named ${JSON.stringify(name)} on ${where} (hosts: ${known})`);
    }
    const beatAge = host.lastHeartbeat === null ? null : now - host.lastHeartbeat.getTime();
    if (beatAge !== null && beatAge <= staleAfterMs && !values.force)
      throw new Error(
        `host ${JSON.stringify(name)} beat ${ago(beatAge)}: its publisher is still running and would write its keys again; stop its monitor first, or pass --force`,
      );
    const gone = await relay.forgetHost({ ...connection, host: name });
    const n = (count: number, what: string) => `${count} ${what}${count === 1 ? "" : "s"}`;
    io.stdout(
      `forgot host ${JSON.stringify(name)}: deleted ${n(gone.keys, "key")}, ${n(gone.lines, "log line")} and ${n(gone.indexKeys, "index key")} on ${where}; central monitors drop it now\n`,
    );
    return 0;
  } catch (error) {
    return reportCliError(BIN, error, io.stderr);
  }
}
