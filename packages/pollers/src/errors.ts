/** A GitHub request took longer than the poller's per-request timeout (the fetch was aborted). */
export class RequestTimeoutError extends Error {
  override name = "RequestTimeoutError";
  readonly timeoutMs: number;
  constructor(timeoutMs: number, options?: { cause?: unknown }) {
    super(`GitHub did not answer within ${timeoutMs} ms`, options);
    this.timeoutMs = timeoutMs;
  }
}

/** GitHub answered a GraphQL query with errors and no data. */
export class GithubGraphqlError extends Error {
  override name = "GithubGraphqlError";
  readonly types: string[];
  constructor(messages: string[], types: string[], options?: { cause?: unknown }) {
    const first = (messages[0] ?? "no message").slice(0, 160);
    super(`expected PR data from GitHub GraphQL, got ${messages.length} error(s): ${first}`, options);
    this.types = types;
  }
}
