import { homedir } from "node:os";
import { resolve } from "node:path";
import type { ParseArgsConfig } from "node:util";
import {
  checkNatsUrlFlag,
  NATS_CONNECTION_OPTIONS,
  NATS_FLAG_EXAMPLES,
  type NatsConnectionFlags,
  natsFlagsOf,
} from "@catalyst/relay/command-line";
import { parseDuration, readFlags, resolveCatalystDir } from "@catalyst/sources/command-line";
import { resolveCacheDir } from "@catalyst/sources/event-log";
import { UsageError } from "./errors.js";
import { parseTimeArg } from "./parse-time.js";

/** How records are printed. */
export type ReplayFormat = "pretty" | "jsonl" | "json";
export const REPLAY_FORMATS: readonly ReplayFormat[] = ["pretty", "jsonl", "json"];

/** Everything `replay` needs, already parsed and checked. */
export interface ReplayOptions {
  /** The catalyst dir (`--dir`, else a non-empty `$CATALYST_DIR`, else `~/catalyst`). */
  dir: string;
  /** Inclusive lower bound; absent means from the first line. */
  since?: Date;
  /** Exclusive upper bound. */
  until?: Date;
  /** Keep printing new lines after the history (tail -F). */
  follow: boolean;
  /** `--wait-for` (with `--follow`): stop after the first matching line. */
  waitFor?: boolean;
  /** `--timeout` (with `--wait-for`): give up after this many ms (exit 1). */
  timeoutMs?: number;
  orchestrators?: readonly string[];
  workers?: readonly string[];
  /** Event types, v1 (`worker-pr-merged`) or canonical (`orchestrator.worker.pr_merged`) names. */
  types?: readonly string[];
  /** @default "pretty" */
  format: ReplayFormat;
  /** With `snapshot`: print the fleet folded up to this time. */
  at?: Date;
  snapshot: boolean;
  /** Make malformed or oversized lines fatal. */
  strict: boolean;
  /** `--cost`: print the spend per day and per orchestrator in `[since, until)` (until = now by default). */
  cost?: boolean;
  /**
   * `--include-legacy`: also read the rotated-aside `events/YYYY-MM.jsonl.legacy*` files (not the
   * live log, FORMATS-TODAY R1.2–R1.3), merged by `ts` with the rest.
   */
  includeLegacy?: boolean;
  /**
   * The user cache dir where the log index is kept (`$CATALYST_CACHE_DIR`, else
   * `$XDG_CACHE_HOME/catalyst`, else `~/.cache/catalyst`); absent: index in memory only.
   */
  cacheDir?: string;
  /** `--nats <url>`: replay every host from the broker's stream instead of a local dir. */
  nats?: NatsReplayOptions;
}

/** What `--nats` reads: the broker, how to authenticate, which hosts, how hosts show. */
export interface NatsReplayOptions {
  /** The URL as given (may hold credentials: never print it, see `redactUrl`). */
  url: string;
  /** The `--nats-*` connection flags, resolved (files read) when the run starts. */
  flags: NatsConnectionFlags;
  /** `--host`: only these hosts. */
  hosts?: readonly string[];
  /** `--with-host`: jsonl/json wrap each line as `{"host":…,"line":<the line as written>}`. */
  withHost: boolean;
  /** Bytes sorted in memory before runs spill to a temp dir (`CATALYST_REPLAY_SORT_BYTES`). */
  sortBytes?: number;
}

/** What the command line asks for. */
export type ReplayCommand =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "replay"; options: ReplayOptions };

/** What argument parsing reads from the environment. */
export interface ParseArgsContext {
  now: Date;
  env: Record<string, string | undefined>;
  /** @default os.homedir() */
  home?: string;
  /** Base for a relative `--dir`. @default process.cwd() */
  cwd?: string;
}

const VALUE_FLAGS = [
  "since",
  "until",
  "orchestrator",
  "worker",
  "type",
  "format",
  "dir",
  "at",
  "nats",
  "host",
  "timeout",
  ...(Object.keys(NATS_CONNECTION_OPTIONS) as (keyof typeof NATS_CONNECTION_OPTIONS)[]),
] as const;
const FLAG_OPTIONS = {
  ...Object.fromEntries(VALUE_FLAGS.map((name) => [name, { type: "string", multiple: true }])),
  "with-host": { type: "boolean" },
  follow: { type: "boolean", short: "f" },
  "wait-for": { type: "boolean" },
  snapshot: { type: "boolean" },
  cost: { type: "boolean" },
  strict: { type: "boolean" },
  "include-legacy": { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
  // -v: the monitor's old spelling, accepted by both bins; not in --help.
  "version-v": { type: "boolean", short: "v" },
} as const satisfies ParseArgsConfig["options"];
const VALUE_EXAMPLES: Record<string, string> = {
  "--since": "--since 2h",
  "--until": "--until 2026-04-14T20:00:00Z",
  "--at": "--at 2026-04-14T19:30:00Z",
  "--orchestrator": "--orchestrator orch-api-redesign-2026-04-14",
  "--worker": "--worker CTL-48",
  "--type": "--type worker-pr-merged,worker-failed",
  "--format": "--format jsonl",
  "--dir": "--dir ~/catalyst",
  "--nats": "--nats nats://127.0.0.1:4222",
  "--host": "--host build-box-1",
  "--timeout": "--timeout 10m",
  ...Object.fromEntries(Object.entries(NATS_FLAG_EXAMPLES).map(([flag, example]) => [`--${flag}`, example])),
};

/** Parse argv (without node and the script) into a command. Throws UsageError on anything wrong. */
export function parseReplayArgs(argv: readonly string[], context: ParseArgsContext): ReplayCommand {
  // parseArgs by its tokens (readFlags), so that replay's errors stay one line with an example.
  const { values, switches: flags } = readFlags(argv, FLAG_OPTIONS, {
    examples: VALUE_EXAMPLES,
    aliases: { "version-v": "version" },
  });
  if (flags.has("--help")) return { kind: "help" };
  if (flags.has("--version")) return { kind: "version" };

  const single = (flag: string): string | undefined => {
    const list = values.get(flag);
    if (list && list.length > 1) {
      throw new UsageError(`${flag} given ${list.length} times; give it once, e.g. ${VALUE_EXAMPLES[flag]}`, {
        flag,
      });
    }
    return list?.[0];
  };
  const list = (flag: string): string[] | undefined => {
    const given = values.get(flag);
    if (!given) return undefined;
    const items = given.flatMap((v) => v.split(",")).map((v) => v.trim());
    if (items.some((v) => v === "")) {
      throw new UsageError(
        `invalid ${flag} value ${JSON.stringify(given.join(","))}: empty name in the list, e.g. ${VALUE_EXAMPLES[flag]}`,
        {
          flag,
          value: given.join(","),
        },
      );
    }
    return items;
  };
  const time = (flag: string): Date | undefined => {
    const value = single(flag);
    return value === undefined ? undefined : parseTimeArg(flag, value, context.now);
  };

  const formatValue = single("--format") ?? "pretty";
  if (!(REPLAY_FORMATS as readonly string[]).includes(formatValue)) {
    throw new UsageError(
      `invalid --format value ${JSON.stringify(formatValue)}: expected one of ${REPLAY_FORMATS.join(", ")}, e.g. --format jsonl`,
      { flag: "--format", value: formatValue },
    );
  }
  const format = formatValue as ReplayFormat;
  const since = time("--since");
  const until = time("--until");
  const at = time("--at");
  const follow = flags.has("--follow");
  const snapshot = flags.has("--snapshot");
  const types = list("--type");
  const cost = flags.has("--cost");
  if (cost) {
    if (!since) throw new UsageError("--cost needs --since, e.g. --cost --since 7d", { flag: "--cost" });
    for (const flag of ["--follow", "--snapshot", "--at", "--type", "--worker", "--nats"]) {
      if (values.has(flag) || flags.has(flag))
        throw new UsageError(`${flag} cannot be used with --cost (it sums the workers' cost over a window)`, {
          flag,
        });
    }
  }

  if (snapshot || at) {
    if (!at)
      throw new UsageError("--snapshot needs --at <ts>, e.g. --at 2026-04-14T19:30:00Z --snapshot", {
        flag: "--snapshot",
      });
    if (!snapshot)
      throw new UsageError("--at needs --snapshot, e.g. --at 2026-04-14T19:30:00Z --snapshot", {
        flag: "--at",
      });
    for (const flag of ["--since", "--until", "--type"]) {
      if (values.has(flag))
        throw new UsageError(`${flag} cannot be used with --snapshot (it folds every event up to --at)`, {
          flag,
        });
    }
    if (follow) throw new UsageError("--follow cannot be used with --snapshot", { flag: "--follow" });
  } else {
    if (!since && !follow) {
      throw new UsageError("--since is required, e.g. --since 2h (or --follow, or --at <ts> --snapshot)", {
        flag: "--since",
      });
    }
    if (since && until && until.getTime() <= since.getTime()) {
      throw new UsageError(
        `--until (${until.toISOString()}) must be later than --since (${since.toISOString()})`,
        {
          flag: "--until",
        },
      );
    }
    if (follow && until) throw new UsageError("--until cannot be used with --follow", { flag: "--until" });
    if (follow && format === "json") {
      throw new UsageError(
        "--format json cannot be used with --follow (the array never ends); use --format jsonl",
        {
          flag: "--format",
          value: "json",
        },
      );
    }
  }

  const waitFor = flags.has("--wait-for");
  if (waitFor && !follow)
    throw new UsageError(
      "--wait-for needs --follow, e.g. --follow --wait-for --worker CTL-48 --timeout 10m",
      {
        flag: "--wait-for",
      },
    );
  const timeoutText = single("--timeout");
  if (timeoutText !== undefined && !waitFor)
    throw new UsageError("--timeout needs --wait-for, e.g. --follow --wait-for --timeout 10m", {
      flag: "--timeout",
    });
  const timeoutMs = timeoutText === undefined ? undefined : parseDuration(timeoutText);
  if (timeoutMs === null || timeoutMs === 0)
    throw new UsageError(
      `invalid --timeout value ${JSON.stringify(timeoutText)}: expected a duration such as 90s, 10m, 2h`,
      {
        flag: "--timeout",
        value: timeoutText ?? "",
      },
    );

  const nats = natsOptions(values, flags, single, list, context.env);
  if (nats) {
    for (const [flag, why] of [
      ["--dir", "it reads the broker's stream, not a local dir"],
      ["--include-legacy", "the stream holds what hosts published from their live log"],
    ] as const) {
      if (values.has(flag) || flags.has(flag))
        throw new UsageError(`${flag} cannot be used with --nats (${why})`, { flag });
    }
    // --at --snapshot: every host's fleet at that time (the central monitor's time travel).
    if (snapshot && nats.hosts)
      throw new UsageError(
        "--host cannot be used with --snapshot (the fleet at a time is every host's; narrow it with --orchestrator <host>/<id>)",
        { flag: "--host" },
      );
  }

  const home = context.home ?? homedir();
  const dir = resolveCatalystDir(single("--dir"), context.env, home, context.cwd ?? process.cwd());

  const options: ReplayOptions = {
    dir,
    follow,
    format,
    snapshot,
    strict: flags.has("--strict"),
    cacheDir: resolve(context.cwd ?? process.cwd(), resolveCacheDir(context.env, home)),
  };
  if (flags.has("--include-legacy")) options.includeLegacy = true;
  if (since) options.since = since;
  if (until) options.until = until;
  if (cost) {
    options.cost = true;
    // The window of a cost report ends now unless --until says otherwise.
    options.until ??= context.now;
  }
  if (waitFor) options.waitFor = true;
  if (timeoutMs !== undefined) options.timeoutMs = timeoutMs;
  if (at) options.at = at;
  const orchestrators = list("--orchestrator");
  if (orchestrators) options.orchestrators = orchestrators;
  const workers = list("--worker");
  if (workers) options.workers = workers;
  if (types) options.types = types;
  if (nats) options.nats = nats;
  return { kind: "replay", options };
}

/** `--nats` and the flags that only make sense with it. */
function natsOptions(
  values: Map<string, string[]>,
  flags: Set<string>,
  single: (flag: string) => string | undefined,
  list: (flag: string) => string[] | undefined,
  env: Record<string, string | undefined>,
): NatsReplayOptions | undefined {
  const url = single("--nats");
  if (url === undefined) {
    const stray = [...values.keys(), ...flags].find(
      (f) => f === "--host" || f === "--with-host" || f.startsWith("--nats-"),
    );
    if (stray)
      throw new UsageError(`${stray} needs --nats <url>, e.g. --nats nats://127.0.0.1:4222`, { flag: stray });
    return undefined;
  }
  checkNatsUrlFlag("--nats", url);
  const given: Record<string, string> = {};
  for (const name of Object.keys(NATS_CONNECTION_OPTIONS)) {
    const v = single(`--${name}`);
    if (v !== undefined) given[name] = v;
  }
  const nats: NatsReplayOptions = { url, flags: natsFlagsOf(given), withHost: flags.has("--with-host") };
  const hosts = list("--host");
  if (hosts) nats.hosts = hosts;
  const sort = env.CATALYST_REPLAY_SORT_BYTES;
  if (sort !== undefined && sort !== "") {
    if (!/^\d+$/.test(sort.trim()) || Number(sort) < 1024)
      throw new UsageError(
        `invalid CATALYST_REPLAY_SORT_BYTES ${JSON.stringify(sort)}: expected a number of bytes of at least 1024, e.g. 67108864`,
      );
    nats.sortBytes = Number(sort);
  }
  return nats;
}
