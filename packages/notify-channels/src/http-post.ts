import { ChannelError } from "./errors.js";

/** The fetch the HTTP channels use; tests and the monitor pass the global one. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/**
 * POSTs and turns every failure into a `ChannelError` naming only the channel, never the URL
 * (node's fetch errors carry the address in their cause; we keep only its code).
 */
export async function postTo(
  channel: string,
  url: string,
  init: { headers: Record<string, string>; body: string | Uint8Array },
  signal: AbortSignal,
  fetchImpl: FetchLike,
): Promise<void> {
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method: "POST",
      headers: init.headers,
      body: init.body as RequestInit["body"],
      signal,
      redirect: "error",
    });
  } catch (error) {
    if (signal.aborted) throw new ChannelError(channel, "timed out", true);
    const code = (error as { cause?: { code?: unknown } })?.cause?.code;
    throw new ChannelError(channel, `cannot connect${typeof code === "string" ? ` (${code})` : ""}`, true);
  }
  // Drain the body so the socket is reused; its text is not shown (it may echo the request).
  await response.arrayBuffer().catch(() => undefined);
  if (response.ok) return;
  const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
  throw new ChannelError(channel, `HTTP ${response.status}`, retryable, { status: response.status });
}
