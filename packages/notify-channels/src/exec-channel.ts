import { spawn } from "node:child_process";
import type { Alert } from "@catalyst/notify";
import type { Channel } from "./channel.js";
import { channelIdOf } from "./delivery-key.js";
import { ChannelConfigError, ChannelError } from "./errors.js";

export interface ExecChannelOptions {
  /** A shell command line (`/bin/sh -c`), e.g. `notify-send "$CATALYST_ALERT_TITLE" "$CATALYST_ALERT_MESSAGE"`. */
  command: string;
  /** Killed (its whole process group) after this long. @default 10000 */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs a command per alert with the alert JSON on stdin (and its title, message, severity, kind and
 * URL in `CATALYST_ALERT_*`, and its delivery key in `CATALYST_ALERT_KEY`); exit 0 is delivered. The command is never logged: it may hold a secret.
 */
export function createExecChannel(options: ExecChannelOptions): Channel {
  if (options.command.trim() === "")
    throw new ChannelConfigError("--notify-exec", "a command", options.command);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const name = `exec ${options.command.trim().split(/\s+/)[0]!.split("/").pop()}`;
  return {
    name,
    id: channelIdOf("exec", options.command),
    kind: "exec",
    send(alert: Alert, signal: AbortSignal, key?: string) {
      return new Promise<void>((resolve, reject) => {
        const child = spawn("/bin/sh", ["-c", options.command], {
          stdio: ["pipe", "ignore", "ignore"],
          // Its own process group, so a timeout kills what the shell started too.
          detached: true,
          env: {
            ...(options.env ?? process.env),
            CATALYST_ALERT_TITLE: alert.title,
            CATALYST_ALERT_MESSAGE: alert.message,
            CATALYST_ALERT_SEVERITY: alert.severity,
            CATALYST_ALERT_KIND: alert.kind,
            CATALYST_ALERT_STATE: alert.state,
            CATALYST_ALERT_URL: alert.url ?? "",
            // The same for a re-send of this alert after a crash: a command can skip one it ran.
            CATALYST_ALERT_KEY: key ?? "",
          },
        });
        let settled = false;
        const kill = () => {
          try {
            if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
          } catch {
            child.kill("SIGKILL");
          }
        };
        const finish = (error: ChannelError | null) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          signal.removeEventListener("abort", onAbort);
          if (error === null) resolve();
          else reject(error);
        };
        const timer = setTimeout(() => {
          kill();
          finish(new ChannelError(name, `killed after ${timeoutMs} ms`, true));
        }, timeoutMs);
        const onAbort = () => {
          kill();
          finish(new ChannelError(name, "timed out", true));
        };
        signal.addEventListener("abort", onAbort);
        child.on("error", (error) => finish(new ChannelError(name, `cannot start (${error.message})`, true)));
        child.on("exit", (code, sig) =>
          finish(
            code === 0 ? null : new ChannelError(name, sig ? `killed by ${sig}` : `exit code ${code}`, true),
          ),
        );
        // A command that does not read stdin closes it early: EPIPE is not a failure of the alert.
        child.stdin.on("error", () => {});
        child.stdin.end(`${JSON.stringify(alert)}\n`);
      });
    },
  };
}
