/** The `--help` text. */
export const HELP_TEXT = `catalyst-monitor: a read-only live view of Catalyst orchestrators and workers

Usage:
  catalyst-monitor [--dir <catalyst dir>] [--port 7400] [--host 127.0.0.1] [--token <t>]
                   [--history 7d] [--demo] [--pid-file <path>] [--log-format text|json]
                   [--help] [--version]

Options:
  --dir <path>         catalyst dir to watch (env CATALYST_DIR, default ~/catalyst); may not exist yet
  --port <n>           port to listen on, 0 for any free one (env MONITOR_PORT, default 7400)
  --host <name>        address to bind (default 127.0.0.1); a non-loopback host needs --token
  --token <t>          require "Authorization: Bearer <t>" or ?token=<t> on every request
  --history <d>        fold this much of the event log in at start-up (default 7d; 0 = off), so
                       merges and statuses only the log knows are shown after a restart
  --demo               run a simulated fleet in a temporary dir and monitor it
  --pid-file <path>    write the process id here while running (never inside the catalyst dir)
  --log-format <f>     log lines on stderr as text (default) or json
  -h, --help           show this help
  -v, --version        show the version

Environment:
  GITHUB_TOKEN / GH_TOKEN (or a logged-in gh) enable PR status polling.
  CATALYST_MONITOR_DEBUG=1 logs client connects and disconnects.

Endpoints: GET / (dashboard), /events (SSE), /api/snapshot, /api/events, /healthz
`;
