// Command-line options of catalyst-top.
import { UsageError } from "./errors.js";

export const DEFAULT_URL = "http://127.0.0.1:7400";

export interface TopOptions {
  mode: "url" | "dir" | "demo";
  url: string;
  dir: string | null;
  token: string | null;
  tokenFile: string | null;
  once: boolean;
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

Options:
  --url <url>          the monitor to follow (default ${DEFAULT_URL})
  --token <token>      the monitor's access token (also env CATALYST_MONITOR_TOKEN)
  --token-file <file>  read the token from the first line of a file
  --dir <dir>          embedded mode on this catalyst dir
  --demo               embedded mode on the simulated demo fleet
  --once               print one plain table and exit (the default when stdout is not a terminal)
  --format table|json  with --once: a table (default) or the snapshot as JSON
  -h, --help           this text
  -v, --version        the version

Keys: ↑/↓ or j/k move · PgUp/PgDn page · Enter worker detail · / filter · o pick orchestrator
      f failed / needs-you only · Esc back · ? help · q quit

Exit codes: 0 ok, 1 could not reach or read the fleet, 2 usage error.
NO_COLOR turns colours off.
`;

function value(argv: readonly string[], i: number, flag: string): string {
  const v = argv[i + 1];
  if (v === undefined || v.startsWith("--")) throw new UsageError(`${flag} needs a value`);
  return v;
}

/** Parses argv (without node and the script). Throws UsageError on a mistake. */
export function parseTopArgs(argv: readonly string[], env: NodeJS.ProcessEnv): TopOptions {
  const o: TopOptions = {
    mode: "url",
    url: DEFAULT_URL,
    dir: null,
    token: null,
    tokenFile: null,
    once: false,
    format: "table",
    help: false,
    version: false,
  };
  let urlGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] =
      arg.startsWith("--") && arg.includes("=")
        ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
        : [arg, undefined];
    const take = (): string => {
      if (inline !== undefined) return inline;
      const v = value(argv, i, flag);
      i += 1;
      return v;
    };
    switch (flag) {
      case "--url":
        o.url = take();
        urlGiven = true;
        break;
      case "--token":
        o.token = take();
        break;
      case "--token-file":
        o.tokenFile = take();
        break;
      case "--dir":
        o.dir = take();
        o.mode = "dir";
        break;
      case "--demo":
        o.mode = "demo";
        break;
      case "--once":
        o.once = true;
        break;
      case "--format": {
        const f = take();
        if (f !== "table" && f !== "json") throw new UsageError(`--format must be table or json, not ${f}`);
        o.format = f;
        break;
      }
      case "-h":
      case "--help":
        o.help = true;
        break;
      case "-v":
      case "--version":
        o.version = true;
        break;
      default:
        throw new UsageError(`unknown option ${arg} (see --help)`);
    }
  }
  if (o.dir !== null && argv.includes("--demo"))
    throw new UsageError("--dir and --demo cannot be used together");
  if (urlGiven && o.mode !== "url") throw new UsageError("--url cannot be used with --dir or --demo");
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
  if (o.token === null && o.tokenFile === null) o.token = env.CATALYST_MONITOR_TOKEN?.trim() || null;
  return o;
}
