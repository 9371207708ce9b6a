// Command-line options of catalyst-top, read like the other bins' (readFlags, resolveCatalystDir).
import { homedir } from "node:os";
import {
  DURATION_EXAMPLES,
  parseDuration,
  readFlags,
  resolveCatalystDir,
  UsageError,
} from "@catalyst/sources/command-line";

export const DEFAULT_URL = "http://127.0.0.1:7400";

export interface TopOptions {
  mode: "url" | "dir" | "demo";
  url: string;
  dir: string | null;
  token: string | null;
  tokenFile: string | null;
  once: boolean;
  /** `--at`: show the fleet at this past time instead of live. */
  at: Date | null;
  format: "table" | "json";
  help: boolean;
  version: boolean;
}

export const HELP_TEXT = `catalyst-top: a live terminal view of the Catalyst fleet

Usage:
  catalyst-top [--url http://127.0.0.1:7400] [--token T | --token-file F]
  catalyst-top --dir <catalyst dir>      run in-process on a catalyst dir (no monitor needed)
  catalyst-top --demo                    run in-process on a simulated fleet
  catalyst-top --once [--format json]    print one table (or the snapshot) and exit
  catalyst-top --at <time> [--dir D | --url U]   the fleet at a past time (not live)

Options:
  --url <url>          the monitor to follow (default ${DEFAULT_URL})
  --token <token>      the monitor's access token (also env CATALYST_MONITOR_TOKEN)
  --token-file <file>  read the token from the first line of a file
  --dir <dir>          embedded mode on this catalyst dir (~ expanded)
  --demo               embedded mode on the simulated demo fleet
  --once               print one plain table and exit (the default when stdout is not a terminal)
  --at <time>          show the fleet as the event log had it then: an ISO 8601 time
                       (2026-04-14T03:00:00Z), a date (UTC midnight) or a duration ago (${DURATION_EXAMPLES});
                       from the monitor's /api/snapshot?at=, or with --dir folded in-process
  --format table|json  with --once: a table (default) or the snapshot as JSON
  -h, --help           this text
  -v, --version        the version

Keys: ↑/↓ or j/k move · PgUp/PgDn page · Enter worker detail · / filter · o pick orchestrator
      f failed / needs-you only · Esc back · ? help · q quit

Exit codes: 0 ok, 1 could not reach or read the fleet, 2 usage error; errors are one line on
stderr, "catalyst-top: <message>".
NO_COLOR turns colours off.
`;

const OPTIONS = {
  url: { type: "string" },
  token: { type: "string" },
  "token-file": { type: "string" },
  dir: { type: "string" },
  demo: { type: "boolean" },
  once: { type: "boolean" },
  at: { type: "string" },
  format: { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} as const;

/**
 * Parses argv (without node and the script). Throws UsageError on a mistake. `--dir` is resolved
 * like the other bins' (`~` expanded, relative to `cwd`).
 */
export function parseTopArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  home: string = homedir(),
  cwd: string = process.cwd(),
  now: () => number = Date.now,
): TopOptions {
  const { values, switches } = readFlags(argv, OPTIONS);
  // Given twice, the last one counts.
  const last = (flag: string): string | null => values.get(flag)?.at(-1) ?? null;
  const format = last("--format") ?? "table";
  if (format !== "table" && format !== "json")
    throw new UsageError(`--format must be table or json, not ${format}`);
  const dirFlag = last("--dir");
  const demo = switches.has("--demo");
  const o: TopOptions = {
    mode: demo ? "demo" : dirFlag !== null ? "dir" : "url",
    url: last("--url") ?? DEFAULT_URL,
    dir: dirFlag === null ? null : resolveCatalystDir(dirFlag, env, home, cwd),
    token: last("--token"),
    tokenFile: last("--token-file"),
    once: switches.has("--once"),
    at: null,
    format,
    help: switches.has("--help"),
    version: switches.has("--version"),
  };
  if (dirFlag !== null && demo) throw new UsageError("--dir and --demo cannot be used together");
  if (values.has("--url") && o.mode !== "url")
    throw new UsageError("--url cannot be used with --dir or --demo");
  if (o.token !== null && o.tokenFile !== null)
    throw new UsageError("--token and --token-file cannot be used together");
  if (o.mode === "url") {
    try {
      const u = new URL(o.url);
      if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
    } catch {
      throw new UsageError(`--url ${o.url} is not an http(s) URL`);
    }
  }
  const atText = last("--at");
  if (atText !== null) {
    if (demo) throw new UsageError("--at cannot be used with --demo (the simulated fleet has no past)");
    o.at = parseAt(atText, now);
  }
  if (o.token === null && o.tokenFile === null) o.token = env.CATALYST_MONITOR_TOKEN?.trim() || null;
  return o;
}

/** `--at`: an ISO 8601 time with a zone, a date (UTC midnight), or a duration before now. */
export function parseAt(text: string, now: () => number = Date.now): Date {
  const value = text.trim();
  const ago = parseDuration(value);
  if (ago !== null) return new Date(now() - ago);
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(value)
    ? Date.parse(`${value}T00:00:00Z`)
    : /(Z|[+-]\d{2}:?\d{2})$/i.test(value)
      ? Date.parse(value)
      : Number.NaN;
  if (!Number.isFinite(ms))
    throw new UsageError(
      `--at ${text} is not a time: give an ISO 8601 time with its zone (2026-04-14T03:00:00Z), a date, or a duration ago (${DURATION_EXAMPLES})`,
    );
  return new Date(ms);
}
