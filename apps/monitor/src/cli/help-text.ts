import { NOTIFY_HELP } from "@catalyst/notify-channels";
import { NATS_CONNECTION_HELP } from "@catalyst/relay/command-line";

/** The `--help` text. */
export const HELP_TEXT = `catalyst-monitor: a read-only live view of Catalyst orchestrators and workers

Usage:
  catalyst-monitor [--dir <catalyst dir>] [--port 7400] [--host 127.0.0.1]
                   [--token-file <path> | --token <t>] [--allow-host <name>]...
                   [--history 7d] [--demo] [--pid-file <path>] [--log-format text|json]
                   [--max-file-mb 4] [--jobs-dir <path>] [--pid-interval 5s]
                   [--publish <nats-url> [--host-name <name>] [--nats-* ...]]
                   [--budget-usd <n>] [--help] [--version]
  catalyst-monitor --nats <nats-url> [--stale-after 30s] [--forget-after 7d] [--durable <name>] [--port 7400]
                   [--host 127.0.0.1] [--token-file <path>] [--history 7d] [--log-format text|json]
                   (the central view of several machines; no catalyst dir)
  catalyst-monitor service print|install|uninstall|status [--systemd|--launchd] [flags]
                   (run it as a user service; see catalyst-monitor service --help)
  catalyst-monitor hosts list|forget <host> --nats <nats-url> [--force]
                   (the hosts on a broker; forget one gone for good; see hosts --help)
  catalyst-monitor notify test [--notify-* ...]
                   (send a test alert through every configured channel; exit 1 if one failed)

Options:
  --dir <path>         catalyst dir to watch (env CATALYST_DIR, default ~/catalyst); may not exist yet
  --port <n>           port to listen on, 0 for any free one (env MONITOR_PORT, default 7400)
  --host <name>        address to bind (default 127.0.0.1); a non-loopback host needs a token
  --token-file <path>  require the token in this file (first line) as "Authorization: Bearer <t>"
                       or ?token=<t> on every request; the token is never printed
  --token <t>          the same with the token on the command line (visible to local users in
                       /proc; prefer --token-file or CATALYST_MONITOR_TOKEN)
  --allow-host <name>  also accept this Host name (repeatable), e.g. the name a proxy or DNS uses;
                       the bound address (every interface address for 0.0.0.0) is always accepted
  --history <d>        fold this much of the event log in at start-up (90s, 15m, 2h, 7d, 1w;
                       default 7d; 0 = off), so merges and statuses only the log knows are
                       shown after a restart
  --demo               run a simulated fleet in a temporary dir and monitor it
  --pid-file <path>    write the process id here while running (never inside the catalyst dir)
  --log-format <f>     log lines on stderr as text (default) or json
  --max-file-mb <n>    refuse signal and state files larger than this (default 4); they show as
                       corrupt, naming the file
  --jobs-dir <path>    Claude Code's jobs dir, for the liveness of execution-core phases
                       (<bg_job_id>/state.json; env CATALYST_REVIVE_JOBS_DIR, default
                       ~/.claude/jobs; --demo uses its own simulated one)
  --pid-interval <d>   how often the workers' pids (and execution-core jobs) are checked, so how
                       soon a dead worker shows (500ms, 2s, 1m; 100ms to 1h; default 5s); with
                       --publish the answers go to the central monitor too. Not with --nats
  --publish <url>      also publish the catalyst dir to a NATS JetStream broker (nats://host:4222),
                       for a central view of several machines; the dashboard is still served
  --host-name <name>   this machine's name on the broker (default: the hostname)
  --nats <url>         be the central monitor: read every host that publishes to this NATS
                       JetStream broker (nats://host:4222) instead of a catalyst dir; ids are
                       <host>/<id>; each host checks its own workers' pids and jobs and relays
                       the answers (alive, dead). Not with --dir, --demo or --publish
  --stale-after <d>    with --nats: a host silent this long is marked stale (default 30s; hosts
                       beat every 5s); its workers keep their last state, never marked dead
  --forget-after <d>   with --nats: a host silent this long is gone for good: its keys, log lines
                       and time index are deleted from the broker and every central monitor
                       drops it (default 7d; 0 = never)
  --nats-wait <d>      with --nats or --publish: how long start-up waits for a broker that is
                       down, still starting or slow to answer (default 60s; 0 = fail at once)
  --durable <name>     with --nats: the broker-side consumer name; a restarted monitor with the
                       same name folds the history again and misses nothing (default
                       catalyst-central); run two central monitors with two names
  --budget-usd <n>     a daily budget in US dollars: once today's spend (since local midnight,
                       from the workers' cost changes) passes it, "needs you" gets one
                       "over budget" row until midnight; /metrics has catalyst_needs_you{kind="budget"}
  -h, --help           show this help
  -V, --version        show the version

${NATS_CONNECTION_HELP}
${NOTIFY_HELP}
Environment:
  GITHUB_TOKEN / GH_TOKEN (or a logged-in gh) enable PR status polling.
  CATALYST_MONITOR_TOKEN sets the token (like --token, but not visible in the process list).
  CATALYST_MONITOR_DEBUG=1 logs client connects and disconnects.
  CATALYST_MONITOR_TRACE=<file> writes a timestamp per stage of each live change and each GC
    pause to <file> as JSON lines (for latency work; bench/p7-scale.ts --trace reads it).

Signals:
  SIGHUP re-opens the log files and rescans the catalyst dir, keeping clients connected.
  SIGINT, SIGTERM, SIGQUIT and SIGUSR2 stop cleanly (log line, pid file removed), exit 0.

Endpoints: GET / (dashboard), /events (SSE), /api/snapshot (?at=<ts>: the fleet at a past time),
/api/events, /api/alerts, /healthz
`;

/** The \`service --help\` text. */
export const SERVICE_HELP_TEXT = `catalyst-monitor service: run the monitor as a user service (systemd on Linux, launchd on macOS)

Usage:
  catalyst-monitor service print     [--systemd|--launchd] [monitor flags]
  catalyst-monitor service install   [--systemd|--launchd] [monitor flags]
  catalyst-monitor service uninstall [--systemd|--launchd]
  catalyst-monitor service status    [--systemd|--launchd] [--port <n>] [--host <h>] [--token <t>]

Actions:
  print      write the systemd user unit or launchd LaunchAgent plist to stdout
  install    write it to $XDG_CONFIG_HOME/systemd/user/catalyst-monitor.service (default
             ~/.config/systemd/user) or ~/Library/LaunchAgents/dev.catalyst.monitor.plist and
             print the one command that enables it; needs no root, never writes into the catalyst dir
  uninstall  remove that file (and systemd's enable link) and print the command that stops it
  status     say whether the file is installed and ask the running monitor's /healthz (at the
             port the installed service was given, unless --port/--host are passed)

Options:
  --systemd / --launchd   which kind of file (default: launchd on macOS, systemd elsewhere)
  monitor flags           --dir, --port, --host, --history, --pid-file, --log-format, as for the
                          monitor; they go into the service's command line with paths made
                          absolute, and --dir and --port are always written (from CATALYST_DIR and
                          MONITOR_PORT when not given). Logs default to --log-format json.
                          --token and --demo are refused (a token in a unit file is readable).

The systemd unit restarts on failure, logs to the journal (journalctl --user -u catalyst-monitor)
and reads optional KEY=value lines (GITHUB_TOKEN=...) from ~/.config/catalyst-monitor/env; the
plist restarts on failure and logs to ~/Library/Logs/catalyst-monitor.log.

Exit codes: 0 done (status: the monitor answered), 1 failed, 2 bad usage,
            3 status: nothing answering at the port.
`;
