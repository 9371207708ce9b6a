// What a bin serves and prints for alerts, as data: the Web Push routes' answers and the report of
// `notify test`. The bin does the HTTP and the printing.
import type { ApiError } from "@catalyst/schema";
import { type PushEndpoints, sendTestAlert } from "./alerting.js";
import { hasNotifyChannels, NOTIFY_HELP, type NotifyFlags } from "./notify-flags.js";
import { resolveConfigDir } from "./state-files.js";

/** A subscription is a few hundred bytes; anything larger is refused unread. */
const MAX_PUSH_BODY = 8 * 1024;

/** One request to `/api/push/key`, `/api/push/subscribe` or `/api/push/unsubscribe`. */
export interface PushRequest {
  action: "key" | "subscribe" | "unsubscribe";
  /** The `Content-Length` header (a body without one is refused unread). */
  contentLength?: string | undefined;
  /** Reads the body (called only when its length is within bounds). */
  text?: () => Promise<string>;
}

/** The answer to a push request: 404 without `--notify-push`, 413, 400 for bad JSON, or the endpoint's. */
export async function answerPushRequest(
  push: PushEndpoints | null,
  request: PushRequest,
): Promise<{ status: 200 | 201 | 400 | 404 | 413; body: unknown }> {
  const error = (status: 400 | 404 | 413, code: string, message: string) => {
    const body: ApiError = { error: { code, message } };
    return { status, body };
  };
  if (push === null) return error(404, "push_off", "Web Push is off (start the monitor with --notify-push)");
  if (request.action === "key") return { status: 200, body: push.key() };
  if (Number(request.contentLength ?? MAX_PUSH_BODY + 1) > MAX_PUSH_BODY)
    return error(413, "too_large", `a subscription is at most ${MAX_PUSH_BODY} bytes`);
  let body: unknown;
  try {
    body = JSON.parse((await request.text?.()) ?? "");
  } catch {
    return error(400, "bad_json", "expected a JSON body");
  }
  return push[request.action](body);
}

/** `<command>`'s usage: one test alert through every configured channel. */
export function notifyTestUsage(command: string): string {
  return `Usage: ${command} [--notify-* ...] [monitor flags]

Sends one test alert through every channel the flags (and CATALYST_NOTIFY_* variables) configure,
now, and says which worked. Exit codes: 0 every channel took it, 1 one or more failed, 2 bad usage
or no channel configured.

${NOTIFY_HELP}`;
}

/**
 * Sends one test alert through every channel the flags configure and says how it went, as lines
 * for stdout and the exit code (0 every channel took it, 1 one or more failed); null when no
 * channel is configured.
 */
export async function runNotifyTest(
  flags: NotifyFlags,
  dashboardUrl: string,
  where: { env: NodeJS.ProcessEnv; home: string },
): Promise<{ lines: string[]; code: 0 | 1 } | null> {
  if (!hasNotifyChannels(flags)) return null;
  const results = await sendTestAlert(flags, dashboardUrl, {
    configDir: resolveConfigDir(where.env, where.home),
    allowHttpPushLoopback: where.env.CATALYST_NOTIFY_PUSH_ALLOW_HTTP_LOOPBACK === "1",
  });
  const lines = results.map((r) => (r.ok ? `ok      ${r.channel}\n` : `FAILED  ${r.error}\n`));
  const failed = results.filter((r) => !r.ok).length;
  lines.push(
    failed === 0
      ? `test alert sent through ${results.length} channel(s)\n`
      : `${failed} of ${results.length} channel(s) failed\n`,
  );
  return { lines, code: failed === 0 ? 0 : 1 };
}
