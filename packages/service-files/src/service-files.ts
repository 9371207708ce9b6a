import { join } from "node:path";

/** Which service manager a file is for. */
/** A value that cannot go into a service file, or a flag that does not belong in one: a user mistake. */
export class ServiceFileError extends Error {
  override name = "ServiceFileError";
}

export type ServiceKind = "systemd" | "launchd";

/** Everything a unit or plist says; paths are absolute. */
export interface ServiceSpec {
  /** The node binary that runs the monitor (the one running now, so nvm users keep theirs). */
  node: string;
  /**
   * Node flags for the monitor's process, put between `node` and the bin (e.g. the monitor's
   * young-generation size, which only a flag at start can set). @default []
   */
  nodeArgs?: string[];
  /** The monitor's `dist/bin.js`. */
  bin: string;
  /** Monitor flags, already normalised (absolute paths, `--dir`, `--port`, `--log-format`). */
  args: string[];
  /** PATH for the service, so the monitor can still find `gh` for a GitHub token. */
  path: string;
  /** URL the monitor will serve, for the description. */
  url: string;
  version: string;
  /** systemd: optional `KEY=value` file read at start (GITHUB_TOKEN lives there, not in the unit). */
  envFile: string;
  /** launchd: where stdout and stderr go (launchd has no journal). */
  logFile: string;
}

/**
 * The Node flags a service runs the monitor with. A young generation of 8 MiB semi-spaces
 * (V8's default on 64-bit is 16 MiB) gives twice the scavenges at half the pause each, which is
 * what a write waiting behind one feels: in P7's write phase (2,000 and 8,000 workers, loaded box)
 * the median scavenge pause went from 17–18 to 8 ms and RSS fell 8–15 MB (BENCHMARKS.md, issue 26,
 * branch issue-26gc). V8 sizes the young generation once, at start, so only a flag can set it.
 */
export const MONITOR_NODE_ARGS: readonly string[] = ["--max-semi-space-size=8"];

/** Where each kind of file lives for the current user. */
export interface ServicePaths {
  /** The unit or plist. */
  file: string;
  /** systemd's enable link (`default.target.wants/`); null for launchd. */
  enableLink: string | null;
  envFile: string;
  logFile: string;
}

/** systemd unit name. */
export const SYSTEMD_UNIT = "catalyst-monitor.service";
/** launchd job label (and plist base name). */
export const LAUNCHD_LABEL = "dev.catalyst.monitor";

/** The user's unit dir: `$XDG_CONFIG_HOME/systemd/user` or `~/Library/LaunchAgents`; no root needed. */
export function servicePaths(kind: ServiceKind, env: NodeJS.ProcessEnv, home: string): ServicePaths {
  const config = env.XDG_CONFIG_HOME?.startsWith("/") ? env.XDG_CONFIG_HOME : join(home, ".config");
  const envFile = join(config, "catalyst-monitor", "env");
  if (kind === "systemd") {
    const dir = join(config, "systemd", "user");
    return {
      file: join(dir, SYSTEMD_UNIT),
      enableLink: join(dir, "default.target.wants", SYSTEMD_UNIT),
      envFile,
      logFile: "",
    };
  }
  return {
    file: join(home, "Library", "LaunchAgents", `${LAUNCHD_LABEL}.plist`),
    enableLink: null,
    envFile,
    logFile: join(home, "Library", "Logs", "catalyst-monitor.log"),
  };
}

// Neither format can carry control characters sensibly (systemd lines, XML 1.0 text).
function checkText(what: string, value: string): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point of the check
  if (/[\u0000-\u001f\u007f]/.test(value))
    throw new ServiceFileError(
      `${what} ${JSON.stringify(value)} contains a control character; a service file cannot hold it`,
    );
}

/** The monitor flags are kept in the file as JSON, so `status` finds the port without parsing ExecStart. */
const ARGS_MARK = "catalyst-monitor-args:";

// JSON with `-` written as \u002d: valid JSON that never holds "--", which an XML comment forbids.
function encodeArgs(args: readonly string[]): string {
  return `${ARGS_MARK} ${JSON.stringify(args).replaceAll("-", "\\u002d")}`;
}

/** The flags a generated file was written with, or null when the text holds none. */
export function readServiceArgs(text: string): string[] | null {
  const line = text.split("\n").find((l) => l.includes(ARGS_MARK));
  if (line === undefined) return null;
  const json = /\[.*\]/.exec(line.slice(line.indexOf(ARGS_MARK)))?.[0];
  if (json === undefined) return null;
  try {
    const parsed: unknown = JSON.parse(json);
    return Array.isArray(parsed) && parsed.every((a) => typeof a === "string") ? parsed : null;
  } catch {
    return null;
  }
}

// systemd expands %specifiers in most settings and $VARIABLES in Exec lines (systemd.service(5)
// "Command lines"); quotes take C escapes. Plain words stay bare so the unit reads easily.
function systemdWord(value: string, exec: boolean): string {
  const escaped = value.replaceAll("%", "%%");
  const word = exec ? escaped.replaceAll("$", "$$$$") : escaped;
  if (/^[A-Za-z0-9_@+=:,./-]+$/.test(value)) return word;
  return `"${word.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

function checkSpec(spec: ServiceSpec): void {
  for (const [what, value] of [
    ["node path", spec.node],
    ["monitor path", spec.bin],
    ["PATH", spec.path],
    ["env file path", spec.envFile],
    ["log file path", spec.logFile],
  ] as const)
    checkText(what, value);
  for (const arg of spec.args) checkText("argument", arg);
  for (const arg of spec.nodeArgs ?? []) checkText("node flag", arg);
}

/** The command line a service runs: node, its flags, the bin, the monitor's flags. */
function commandLine(spec: ServiceSpec): string[] {
  return [spec.node, ...(spec.nodeArgs ?? []), spec.bin, ...spec.args];
}

/** A systemd user unit: restarts on failure, logs to the journal, reloads with SIGHUP. */
export function renderSystemdUnit(spec: ServiceSpec): string {
  checkSpec(spec);
  const exec = commandLine(spec)
    .map((a) => systemdWord(a, true))
    .join(" ");
  return `# Written by catalyst-monitor ${spec.version} (\`catalyst-monitor service install\`); run that again to change it.
# ${encodeArgs(spec.args)}
[Unit]
Description=Catalyst fleet monitor (read-only), ${spec.url.replaceAll("%", "%%")}

[Service]
Type=exec
ExecStart=${exec}
# SIGHUP makes the monitor reopen what it holds open (see the monitor README).
ExecReload=/bin/kill -HUP $MAINPID
WorkingDirectory=~
Environment=${systemdWord(`PATH=${spec.path}`, false)}
# Optional KEY=value lines, e.g. GITHUB_TOKEN=... for PR status (keep it chmod 600).
EnvironmentFile=-${spec.envFile.replaceAll("%", "%%")}
Restart=on-failure
RestartSec=5
StandardOutput=journal
StandardError=journal
SyslogIdentifier=catalyst-monitor
NoNewPrivileges=yes

[Install]
WantedBy=default.target
`;
}

function xmlText(value: string): string {
  return value.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** A launchd LaunchAgent: starts at login, restarted when it exits with an error. */
export function renderLaunchdPlist(spec: ServiceSpec): string {
  checkSpec(spec);
  const args = commandLine(spec)
    .map((a) => `    <string>${xmlText(a)}</string>`)
    .join("\n");
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- Written by catalyst-monitor ${xmlText(spec.version).replaceAll("--", "- -")} (catalyst-monitor service install); run that again to change it. -->
<!-- ${encodeArgs(spec.args)} -->
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${LAUNCHD_LABEL}</string>
  <key>ProgramArguments</key>
  <array>
${args}
  </array>
  <key>EnvironmentVariables</key>
  <dict>
    <key>PATH</key>
    <string>${xmlText(spec.path)}</string>
  </dict>
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
  <key>ThrottleInterval</key>
  <integer>5</integer>
  <key>ProcessType</key>
  <string>Background</string>
  <key>StandardOutPath</key>
  <string>${xmlText(spec.logFile)}</string>
  <key>StandardErrorPath</key>
  <string>${xmlText(spec.logFile)}</string>
</dict>
</plist>
`;
}
