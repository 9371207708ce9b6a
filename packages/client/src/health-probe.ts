// Asking a monitor how it is: one `GET /healthz`, bounded in time and bytes, told apart as "not
// answering", "answered with an HTTP error", "answered, but not like catalyst-monitor" and healthy.
import { HealthResponse } from "@catalyst/schema";

/** What `/healthz` at a monitor's URL said. */
export type HealthProbe =
  | { kind: "unreachable"; cause: string }
  | { kind: "http-error"; status: number; body: string }
  | { kind: "not-a-monitor" }
  | { kind: "ok"; health: HealthResponse };

/** Options of {@link probeMonitorHealth}. */
export interface HealthProbeOptions {
  token?: string | null;
  /** @default 5_000 */
  timeoutMs?: number;
  /** Bytes of the body read at most. @default 256 KiB */
  maxBytes?: number;
  fetch?: typeof globalThis.fetch;
}

/** Reads `/healthz` of the monitor at `baseUrl` (ending in `/`); never throws for a network problem. */
export async function probeMonitorHealth(
  baseUrl: string,
  options: HealthProbeOptions = {},
): Promise<HealthProbe> {
  const doFetch = options.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    response = await doFetch(`${baseUrl}healthz`, {
      headers: options.token == null ? {} : { authorization: `Bearer ${options.token}` },
      signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
    });
  } catch (error) {
    return {
      kind: "unreachable",
      cause: (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name,
    };
  }
  const body = await readCapped(response, options.maxBytes ?? 256 * 1024);
  if (!response.ok) return { kind: "http-error", status: response.status, body };
  try {
    return { kind: "ok", health: HealthResponse.parse(JSON.parse(body)) };
  } catch {
    return { kind: "not-a-monitor" };
  }
}

/** The body as text, cut (and the stream cancelled) once it is over `maxBytes`. */
async function readCapped(response: Response, maxBytes: number): Promise<string> {
  const reader = response.body?.getReader();
  if (reader === undefined) return "";
  const decoder = new TextDecoder();
  let text = "";
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      break;
    }
  }
  return text + decoder.decode();
}

/** An uptime in words: `3d 4h`, `2h 5m`, `7m 12s`. */
export function formatUptime(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  return d > 0 ? `${d}d ${h}h` : h > 0 ? `${h}h ${m}m` : `${m}m ${s % 60}s`;
}

/**
 * What a probe of `url` says, as one line for a status command (ending in a newline) and how it
 * went: `ok` (answered healthy or not), `failed` (an HTTP error or not a monitor), `not-running`.
 */
export function describeHealthProbe(
  probe: HealthProbe,
  url: string,
): { line: string; outcome: "ok" | "failed" | "not-running" } {
  switch (probe.kind) {
    case "unreachable":
      return { line: `monitor: not answering at ${url} (${probe.cause})\n`, outcome: "not-running" };
    case "http-error":
      return {
        line: `monitor: ${url}healthz answered HTTP ${probe.status}: ${probe.body.slice(0, 200)}\n`,
        outcome: "failed",
      };
    case "not-a-monitor":
      return {
        line: `monitor: ${url}healthz did not answer like catalyst-monitor; is something else on that port?\n`,
        outcome: "failed",
      };
    case "ok": {
      const { health } = probe;
      return {
        line:
          `monitor: ${health.status} at ${url}, version ${health.version}, up ${formatUptime(health.uptimeSec)}, ` +
          `${health.clients.count} SSE client${health.clients.count === 1 ? "" : "s"}, watching ${health.catalystDir}\n`,
        outcome: "ok",
      };
    }
  }
}
