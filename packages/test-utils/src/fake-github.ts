import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { type Context, Hono } from "hono";

// Test helper: a real HTTP server on an ephemeral 127.0.0.1 port that answers our GraphQL PR query
// the way api.github.com does (aliases, partial NOT_FOUND errors, rate-limit headers) and can inject
// the faults GitHub produces. It understands only the query shape @catalyst/pollers builds
// (pr-query.ts). Used by the pollers tests and bench and the fault suite.

/** A check item as GitHub returns it inside `statusCheckRollup.contexts.nodes`. */
export type FakeCheck =
  | { __typename: "CheckRun"; status: string; conclusion: string | null }
  | { __typename: "StatusContext"; state: string };

export interface FakePr {
  repo: string;
  number: number;
  state: "OPEN" | "CLOSED" | "MERGED";
  mergedAt?: string | null;
  isDraft?: boolean;
  mergeable?: "MERGEABLE" | "CONFLICTING" | "UNKNOWN";
  reviewDecision?: "APPROVED" | "CHANGES_REQUESTED" | "REVIEW_REQUIRED" | null;
  title?: string;
  rollupState?: "SUCCESS" | "FAILURE" | "ERROR" | "PENDING" | "EXPECTED";
  checks?: FakeCheck[];
  hasMoreChecks?: boolean;
}

export type Fault =
  | { kind: "status"; status: number }
  | { kind: "unauthorized" }
  | { kind: "rate-limit"; resetInSec: number }
  | { kind: "graphql-rate-limited"; resetInSec: number }
  | { kind: "secondary"; status: 403 | 429; retryAfterSec: number }
  | { kind: "not-modified" }
  | { kind: "hang" };

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | null;
  /** Pull requests asked for in this GraphQL query. */
  prs: string[];
  fault: Fault["kind"] | null;
}

export interface FakeGithub {
  url: string;
  requests: RecordedRequest[];
  setPr(pr: FakePr): void;
  /** Queues faults; each is used by one request, in order. */
  failNext(...faults: Fault[]): void;
  close(): Promise<void>;
}

const DOCS = "https://docs.github.com/graphql";

function rateHeaders(remaining: number, resetEpochSec: number): Record<string, string> {
  return {
    "x-ratelimit-limit": "5000",
    "x-ratelimit-remaining": String(remaining),
    "x-ratelimit-reset": String(resetEpochSec),
    "x-ratelimit-used": String(5000 - remaining),
    "x-ratelimit-resource": "graphql",
    "x-github-request-id": `FAKE:${Math.random().toString(16).slice(2, 10)}`,
  };
}

/** Reads the `rN: repository(...)` and `pN: pullRequest(number: N)` lines of our query. */
function parseQuery(
  query: string,
): Array<{ repoAlias: string; repo: string; prs: Array<{ alias: string; number: number }> }> {
  const repos: Array<{ repoAlias: string; repo: string; prs: Array<{ alias: string; number: number }> }> = [];
  for (const line of query.split("\n")) {
    const repo = /^\s*(r\d+): repository\(owner: "([^"]+)", name: "([^"]+)"\)/.exec(line);
    if (repo) {
      repos.push({ repoAlias: repo[1]!, repo: `${repo[2]}/${repo[3]}`, prs: [] });
      continue;
    }
    const pr = /^\s*(p\d+): pullRequest\(number: (\d+)\)/.exec(line);
    if (pr) repos.at(-1)?.prs.push({ alias: pr[1]!, number: Number(pr[2]) });
  }
  return repos;
}

function prNode(pr: FakePr) {
  const checks = pr.checks ?? [];
  return {
    number: pr.number,
    state: pr.state,
    merged: pr.state === "MERGED",
    mergedAt: pr.state === "MERGED" ? (pr.mergedAt ?? "2026-11-24T10:00:00Z") : null,
    isDraft: pr.isDraft ?? false,
    mergeable: pr.mergeable ?? "MERGEABLE",
    reviewDecision: pr.reviewDecision === undefined ? "REVIEW_REQUIRED" : pr.reviewDecision,
    url: `https://github.com/${pr.repo}/pull/${pr.number}`,
    title: pr.title ?? `PR ${pr.number}`,
    commits: {
      nodes: [
        {
          commit: {
            statusCheckRollup:
              checks.length === 0
                ? null
                : {
                    state: pr.rollupState ?? "SUCCESS",
                    contexts: { pageInfo: { hasNextPage: pr.hasMoreChecks ?? false }, nodes: checks },
                  },
          },
        },
      ],
    },
  };
}

/** Starts the fake GitHub API; `token` is the only credential it accepts. */
export async function startFakeGithub(token: string): Promise<FakeGithub> {
  const prs = new Map<string, FakePr>();
  const faults: Fault[] = [];
  const requests: RecordedRequest[] = [];
  let remaining = 5000;
  const reset = () => Math.floor(Date.now() / 1000) + 3600;
  const app = new Hono();

  // api.github.com serves GraphQL at /graphql; GitHub Enterprise Server at /api/graphql.
  const answer = async (c: Context) => {
    const body = (await c.req.json().catch(() => ({}))) as { query?: string };
    const plan = parseQuery(body.query ?? "");
    const fault = faults.shift() ?? null;
    requests.push({
      method: "POST",
      path: new URL(c.req.url).pathname,
      authorization: c.req.header("authorization") ?? null,
      prs: plan.flatMap((r) => r.prs.map((p) => `${r.repo}#${p.number}`)),
      fault: fault?.kind ?? null,
    });
    const auth = c.req.header("authorization");
    if (fault?.kind === "unauthorized" || (auth !== `token ${token}` && auth !== `bearer ${token}`)) {
      return c.json({ message: "Bad credentials", documentation_url: DOCS, status: "401" }, 401);
    }
    if (fault?.kind === "hang") return new Promise<Response>(() => {});
    if (fault?.kind === "status") {
      return c.html("<html><body><h1>502 Bad Gateway</h1></body></html>", fault.status as 502);
    }
    if (fault?.kind === "not-modified") return c.body(null, 304);
    if (fault?.kind === "rate-limit") {
      const headers = rateHeaders(0, Math.floor(Date.now() / 1000) + fault.resetInSec);
      return c.json(
        { message: "API rate limit exceeded for user ID 1.", documentation_url: DOCS },
        403,
        headers,
      );
    }
    if (fault?.kind === "graphql-rate-limited") {
      const headers = rateHeaders(0, Math.floor(Date.now() / 1000) + fault.resetInSec);
      return c.json(
        { errors: [{ type: "RATE_LIMITED", message: "API rate limit already exceeded for user ID 1." }] },
        200,
        headers,
      );
    }
    if (fault?.kind === "secondary") {
      return c.json(
        {
          message:
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID FAKE.",
          documentation_url:
            "https://docs.github.com/graphql/overview/rate-limits-and-node-limits-for-the-graphql-api#secondary-rate-limits",
        },
        fault.status,
        { ...rateHeaders(remaining, reset()), "retry-after": String(fault.retryAfterSec) },
      );
    }
    // GitHub's cost formula: one connection call per PR for commits(last:1), one for contexts.
    const prCount = plan.reduce((n, r) => n + r.prs.length, 0);
    const cost = Math.max(1, Math.round((2 * prCount) / 100));
    remaining -= cost;
    const data: Record<string, unknown> = {
      rateLimit: { cost, remaining, resetAt: new Date(reset() * 1000).toISOString() },
    };
    const errors: unknown[] = [];
    for (const repo of plan) {
      const block: Record<string, unknown> = {};
      for (const { alias, number } of repo.prs) {
        const pr = prs.get(`${repo.repo}#${number}`);
        block[alias] = pr ? prNode(pr) : null;
        if (!pr) {
          errors.push({
            type: "NOT_FOUND",
            path: [repo.repoAlias, alias],
            locations: [{ line: 1, column: 1 }],
            message: `Could not resolve to a PullRequest with the number of ${number}.`,
          });
        }
      }
      data[repo.repoAlias] = block;
    }
    return c.json(errors.length > 0 ? { data, errors } : { data }, 200, rateHeaders(remaining, reset()));
  };
  app.post("/graphql", answer);
  app.post("/api/graphql", answer);

  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () =>
      resolve(s as Server),
    ) as Server;
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setPr(pr) {
      prs.set(`${pr.repo}#${pr.number}`, { ...pr });
    },
    failNext(...next) {
      faults.push(...next);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
