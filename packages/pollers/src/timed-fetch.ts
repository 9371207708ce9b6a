import { RequestTimeoutError } from "./errors.js";

type Fetch = typeof globalThis.fetch;

const NULL_BODY = new Set([101, 204, 205, 304]);

/**
 * Wraps fetch for Octokit: counts attempts, aborts one attempt after `timeoutMs` (including a body
 * that stalls after the headers), and aborts everything when `stopSignal` fires.
 * A timeout surfaces as a RequestTimeoutError, which Octokit turns into a retryable 500; a stop
 * surfaces as an AbortError, which Octokit's retry plugin does not retry.
 */
export function createTimedFetch(options: {
  timeoutMs: number;
  stopSignal: () => AbortSignal;
  onAttempt?: () => void;
  fetch?: Fetch;
}): Fetch {
  const inner = options.fetch ?? globalThis.fetch;
  return async (input, init) => {
    options.onAttempt?.();
    const controller = new AbortController();
    const stop = options.stopSignal();
    const onStop = () => controller.abort(stop.reason);
    if (stop.aborted) onStop();
    else stop.addEventListener("abort", onStop, { once: true });
    const timer = setTimeout(
      () => controller.abort(new RequestTimeoutError(options.timeoutMs)),
      options.timeoutMs,
    );
    try {
      const response = await inner(input, { ...init, signal: controller.signal });
      const body = NULL_BODY.has(response.status) ? null : await response.arrayBuffer();
      return new Response(body, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    } finally {
      clearTimeout(timer);
      stop.removeEventListener("abort", onStop);
    }
  };
}
