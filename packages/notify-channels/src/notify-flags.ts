import { OPT_IN_KINDS, type OptInKind, parseOptInKinds } from "@catalyst/notify";
import { ChannelConfigError } from "./errors.js";
import { parseHttpUrl, redactUrl } from "./redact-url.js";
import type { WebhookFormat } from "./webhook-channel.js";

// The `--notify-*` flags, shared by the monitor and `catalyst-monitor notify test`: a parseArgs
// options block, the parsed settings (no I/O here: token files are read by `buildAlerting`) and
// the help text.

/** `node:util` parseArgs options for the alert flags; spread into a bin's own options. */
export const NOTIFY_CLI_OPTIONS = {
  "notify-webhook": { type: "string", multiple: true },
  "notify-format": { type: "string" },
  "notify-ntfy": { type: "string", multiple: true },
  "notify-ntfy-token-file": { type: "string" },
  "notify-exec": { type: "string", multiple: true },
  "notify-exec-timeout": { type: "string" },
  "notify-hold": { type: "string" },
  "notify-resolved": { type: "boolean" },
  "notify-kinds": { type: "string" },
  "notify-push": { type: "boolean" },
} as const;

/** The alert settings after flags and environment are read. */
export interface NotifyFlags {
  webhooks: string[];
  format: WebhookFormat;
  ntfy: string[];
  /** Path of the ntfy access token (`--notify-ntfy-token-file`); read when the channels are built. */
  ntfyTokenFile: string | null;
  /** `CATALYST_NOTIFY_NTFY_TOKEN`, when no file is given. */
  ntfyToken: string | null;
  exec: string[];
  execTimeoutMs: number;
  holdMs: number;
  resolved: boolean;
  kinds: OptInKind[];
  /** `--notify-push`: Web Push to dashboards installed as an app (keys in the config dir). */
  push: boolean;
}

type NotifyValues = {
  [K in keyof typeof NOTIFY_CLI_OPTIONS]?: (typeof NOTIFY_CLI_OPTIONS)[K] extends { multiple: true }
    ? string[]
    : (typeof NOTIFY_CLI_OPTIONS)[K] extends { type: "boolean" }
      ? boolean
      : string;
};

/** `5s`, `500ms`, `2m`, `0`: a duration in ms, or null. */
export function parseShortDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (m === null) return null;
  const n = Number(m[1]);
  const unit = m[2] ?? (n === 0 ? "ms" : null);
  if (unit === null) return null;
  return Math.round(n * (unit === "ms" ? 1 : unit === "s" ? 1_000 : 60_000));
}

/** Splits an environment list (whitespace or newlines between URLs). */
function envList(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(/\s+/).filter((v) => v !== "");
}

/**
 * Reads the parsed `--notify-*` values and the environment (`CATALYST_NOTIFY_WEBHOOK`,
 * `CATALYST_NOTIFY_NTFY`: space-separated URLs, kept out of the process list;
 * `CATALYST_NOTIFY_NTFY_TOKEN`). Throws `ChannelConfigError` naming the flag; never echoes a URL.
 */
export function notifyFlagsOf(values: NotifyValues, env: NodeJS.ProcessEnv): NotifyFlags {
  const webhooks = [...(values["notify-webhook"] ?? []), ...envList(env.CATALYST_NOTIFY_WEBHOOK)];
  for (const url of webhooks)
    if (parseHttpUrl(url) === null)
      throw new ChannelConfigError("--notify-webhook", "an http:// or https:// URL", redactUrl(url));
  const ntfy = [...(values["notify-ntfy"] ?? []), ...envList(env.CATALYST_NOTIFY_NTFY)];
  for (const url of ntfy)
    if (parseHttpUrl(url) === null)
      throw new ChannelConfigError("--notify-ntfy", "an http:// or https:// topic URL", redactUrl(url));
  const format = values["notify-format"] ?? "json";
  if (format !== "json" && format !== "slack")
    throw new ChannelConfigError("--notify-format", "json or slack", format);
  const exec = values["notify-exec"] ?? [];
  for (const command of exec)
    if (command.trim() === "") throw new ChannelConfigError("--notify-exec", "a command", command);
  const hold = values["notify-hold"] === undefined ? 5_000 : parseShortDuration(values["notify-hold"]);
  if (hold === null || hold > 3_600_000)
    throw new ChannelConfigError(
      "--notify-hold",
      "a duration up to 1h such as 5s, 500ms, 0",
      values["notify-hold"],
    );
  const execTimeout =
    values["notify-exec-timeout"] === undefined ? 10_000 : parseShortDuration(values["notify-exec-timeout"]);
  if (execTimeout === null || execTimeout < 100 || execTimeout > 600_000)
    throw new ChannelConfigError(
      "--notify-exec-timeout",
      "a duration from 100ms to 10m",
      values["notify-exec-timeout"],
    );
  let kinds: OptInKind[] = [];
  try {
    kinds = parseOptInKinds(values["notify-kinds"] ?? "");
  } catch {
    throw new ChannelConfigError(
      "--notify-kinds",
      `a comma-separated list of ${OPT_IN_KINDS.join(", ")} or all`,
      values["notify-kinds"],
    );
  }
  const ntfyTokenFile = values["notify-ntfy-token-file"] ?? null;
  if (ntfyTokenFile !== null && ntfy.length === 0)
    throw new ChannelConfigError("--notify-ntfy-token-file", "--notify-ntfy with it", ntfyTokenFile);
  const envToken = env.CATALYST_NOTIFY_NTFY_TOKEN;
  return {
    webhooks,
    format,
    ntfy,
    ntfyTokenFile,
    ntfyToken: envToken === undefined || envToken === "" ? null : envToken,
    exec,
    execTimeoutMs: execTimeout,
    holdMs: hold,
    resolved: values["notify-resolved"] ?? false,
    kinds,
    push: values["notify-push"] ?? false,
  };
}

/** True when any channel is configured (alerts are then persisted across restarts). */
export function hasNotifyChannels(flags: NotifyFlags): boolean {
  return flags.webhooks.length + flags.ntfy.length + flags.exec.length > 0 || flags.push;
}

/** The alert part of a bin's `--help`. */
export const NOTIFY_HELP = `Alerts (one per incident, none for a blip; see the monitor README, "Alerts"):
  --notify-webhook <url>        POST each alert as JSON (repeatable; or CATALYST_NOTIFY_WEBHOOK,
                                space-separated, to keep the URL out of the process list)
  --notify-format json|slack    the webhook body: the alert object (default) or Slack's shape
  --notify-ntfy <topic-url>     publish to an ntfy topic (repeatable; or CATALYST_NOTIFY_NTFY)
  --notify-ntfy-token-file <p>  ntfy access token (first line; or CATALYST_NOTIFY_NTFY_TOKEN)
  --notify-exec <command>       run a command per alert, the alert JSON on stdin and
                                CATALYST_ALERT_TITLE/_MESSAGE/_SEVERITY/_URL set (repeatable)
  --notify-exec-timeout <d>     kill the command after this long (default 10s)
  --notify-push                 Web Push to dashboards installed as an app (keys are made once in
                                ~/.config/catalyst-monitor)
  --notify-hold <d>             a condition must last this long to alert (default 5s)
  --notify-resolved             also send one "resolved" message when an incident clears
  --notify-kinds <list>         opt-in kinds: pr-merged, wave-completed, orchestrator-finished,
                                host-stale (comma-separated, or all)
  catalyst-monitor notify test [--notify-* ...] sends a test alert through every channel
`;
