/** A GitHub request took longer than the poller's per-request timeout (the fetch was aborted). */
export class RequestTimeoutError extends Error {
  override name = "RequestTimeoutError";
  readonly timeoutMs: number;
  constructor(timeoutMs: number, options?: { cause?: unknown }) {
    super(`GitHub did not answer within ${timeoutMs} ms`, options);
    this.timeoutMs = timeoutMs;
  }
}
