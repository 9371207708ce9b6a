import { NATS_CONNECTION_HELP } from "@catalyst/relay/command-line";
import { TIME_EXAMPLES } from "./parse-time.js";

/** The `--help` text. */
export function renderHelp(): string {
  return `catalyst-replay: query, follow and time-travel the Catalyst event log

Usage:
  catalyst-replay --since <ts> [--until <ts>] [--follow] [filters] [--format pretty|jsonl|json]
  catalyst-replay --follow [filters] [--format pretty|jsonl]
  catalyst-replay --follow --wait-for [filters] [--timeout <d>]
  catalyst-replay --at <ts> --snapshot [--orchestrator <id>] [--worker <ticket>] [--format ...]
  catalyst-replay --cost --since <ts> [--until <ts>] [--orchestrator <id>] [--format pretty|json|jsonl]
  catalyst-replay --nats <url> --since <ts> [--until <ts>] [--host <name>] [filters]
                  [--format pretty|jsonl|json] [--with-host] [--nats-* credentials]
  catalyst-replay --nats <url> --at <ts> --snapshot [--orchestrator <host>/<id>] [--format ...]
  catalyst-replay --nats <url> [--since <ts>] --follow [--wait-for] [--host <name>] [filters]

Options:
  --since <ts>           print events at or after this time (inclusive)
  --until <ts>           stop before this time (exclusive)
  -f, --follow           after the history, keep printing new lines as they are appended
                         (follows month rollover, truncation and re-creation) until Ctrl-C
  --wait-for             with --follow: print the first matching line and exit 0 (for scripts:
                         wait until a worker's PR merges, a wave completes, ...)
  --timeout <d>          with --wait-for: exit 1 if nothing matched within this long (90s, 10m)
  --orchestrator <id>    only this orchestrator (comma-separated list allowed)
  --worker <ticket>      only this worker ticket (comma-separated list allowed)
  --type <a,b>           only these event types, v1 (worker-pr-merged) or canonical
                         (orchestrator.worker.pr_merged) names
  --format <f>           pretty (default; coloured on a terminal, honours NO_COLOR),
                         jsonl (the original lines, byte for byte), or json (one array)
  --dir <dir>            the catalyst dir (default: $CATALYST_DIR, else ~/catalyst)
  --at <ts> --snapshot   print the fleet as it was at <ts>, folded from the log
  --cost                 with --since: what the fleet spent per day (UTC) and per orchestrator
                         in the window, from the workers' cost in the signal and state files
                         and the log (each worker's cost spread between its start and its
                         last update); json/jsonl print one object
  --strict               stop with exit code 1 at the first malformed line
                         (by default malformed lines are skipped and counted on stderr,
                         with the reason: not-json, unknown-shape, no-ts, dual-mismatch, …)
  --include-legacy       also read the rotated-aside events/YYYY-MM.jsonl.legacy* files
                         (not the live log), merged by ts with the rest
  --nats <url>           replay every host from a NATS JetStream broker (what
                         catalyst-monitor --publish sends) instead of a local dir
  --host <name>          with --nats: only this host (comma-separated list allowed)
  --with-host            with --nats and jsonl/json: print {"host":"<host>","line":<line>}
                         (the line as written, byte for byte) instead of the bare line
  -h, --help             show this help
  -V, --version          print the version

Times (<ts>):
  ISO 8601 with or without milliseconds, seconds or zone; a time without a zone is UTC.
  A date alone means its UTC midnight. A relative age counts back from now: 90s, 15m, 2h, 3d, 1w.
  Examples: ${TIME_EXAMPLES}.

Reads $CATALYST_DIR/events/YYYY-MM.jsonl and the legacy events.jsonl (every line shape: v1 event,
v2 attributes["event.name"], dual, bare v3 name), merged in time order, and
prints exactly the lines whose ts is in the window, whatever order they were written in. A
per-block ts index kept in $CATALYST_CACHE_DIR (else $XDG_CACHE_HOME/catalyst, else
~/.cache/catalyst; never the catalyst dir) lets it skip what is outside the window; the first run
over a log builds it.

Several machines (--nats): the window is read through the stream's time index, which each
publisher keeps per host and hour of its lines' own ts (never a broker time, which is not a
line's ts), and every host's lines come out merged by their own ts, then host, file and byte
offset, exact whatever the hosts' clocks did. --follow then prints each line published from then
on, in the order the broker got them, until Ctrl-C (exit 0); a broker lost for good exits 1. pretty shows the host in the first column;
jsonl prints the lines as written (add --with-host to know each line's host). A window larger than
CATALYST_REPLAY_SORT_BYTES (default 64 MiB) is sorted on disk in a temp dir that is removed
afterwards.

${NATS_CONNECTION_HELP}
Exit codes: 0 success (also when nothing matched), 1 I/O error (also an unreadable events dir),
--wait-for timed out, --strict failure, or the broker unreachable or refusing the credentials,
2 usage error (also an unreadable credentials file).
`;
}
