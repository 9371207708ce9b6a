import type { PrRef, PrState, PrStatus } from "@catalyst/schema";
import { type CheckRollup, ciStatusFromRollup, type RollupContext } from "./ci-status.js";

/** Items of the checks rollup read per PR; more than this falls back to GitHub's summary state. */
export const ROLLUP_PAGE_SIZE = 100;

// One fragment for every PR. Rate-limit cost (GitHub's documented formula): each PR adds two
// connection calls (commits(last:1) and contexts(first:N)), so a query for k PRs costs about
// max(1, 2k/100) points whatever N is; `first` only counts against the 500,000-node limit.
const PR_FIELDS = `fragment CatalystPr on PullRequest {
  number state merged mergedAt isDraft mergeable reviewDecision url title
  commits(last: 1) { nodes { commit { statusCheckRollup {
    state
    contexts(first: ${ROLLUP_PAGE_SIZE}) {
      pageInfo { hasNextPage }
      nodes { __typename ... on CheckRun { status conclusion } ... on StatusContext { state } }
    }
  } } } }
}`;

/** The alias plan of one batched query: which alias path answers which ref. */
export interface PrQuery {
  query: string;
  /** For each ref (same order): the repository alias and the pull request alias inside it. */
  aliases: Array<{ ref: PrRef; repoAlias: string; prAlias: string }>;
}

/**
 * One GraphQL query for many PRs: one aliased `repository` per repo, one aliased `pullRequest` per
 * PR inside it, plus `rateLimit` so each answer reports its own cost.
 */
export function buildPrQuery(refs: readonly PrRef[]): PrQuery {
  const byRepo = new Map<string, PrRef[]>();
  for (const ref of refs) {
    const list = byRepo.get(ref.repo) ?? [];
    list.push(ref);
    byRepo.set(ref.repo, list);
  }
  const aliases: PrQuery["aliases"] = [];
  const blocks: string[] = [];
  let i = 0;
  for (const [repo, list] of byRepo) {
    const repoAlias = `r${i++}`;
    const [owner, name] = repo.split("/") as [string, string];
    const prs = list.map((ref) => {
      const prAlias = `p${ref.number}`;
      aliases.push({ ref, repoAlias, prAlias });
      return `    ${prAlias}: pullRequest(number: ${ref.number}) { ...CatalystPr }`;
    });
    // owner and name passed parsePrUrl's pattern, so JSON quoting is a valid GraphQL string.
    blocks.push(
      `  ${repoAlias}: repository(owner: ${JSON.stringify(owner)}, name: ${JSON.stringify(name)}) {\n${prs.join("\n")}\n  }`,
    );
  }
  const query = `query CatalystPrStatus {\n  rateLimit { cost remaining resetAt }\n${blocks.join("\n")}\n}\n${PR_FIELDS}\n`;
  return { query: query, aliases: aliases.sort((a, b) => refs.indexOf(a.ref) - refs.indexOf(b.ref)) };
}

/** The PullRequest object our fragment asks for, as GitHub returns it (fields may be missing). */
export interface PrNode {
  number?: number;
  state?: string;
  merged?: boolean;
  mergedAt?: string | null;
  isDraft?: boolean;
  mergeable?: string | null;
  reviewDecision?: string | null;
  url?: string | null;
  title?: string | null;
  commits?: {
    nodes?: Array<{
      commit?: {
        statusCheckRollup?: {
          state?: string | null;
          contexts?: {
            pageInfo?: { hasNextPage?: boolean };
            nodes?: Array<RollupContext | null> | null;
          } | null;
        } | null;
      } | null;
    } | null> | null;
  } | null;
}

function readRollup(node: PrNode): CheckRollup | null {
  const rollup = node.commits?.nodes?.at(-1)?.commit?.statusCheckRollup;
  if (!rollup) return null;
  const contexts = (rollup.contexts?.nodes ?? []).filter(
    (c): c is RollupContext => !!c && typeof c === "object",
  );
  return {
    state: typeof rollup.state === "string" ? rollup.state : null,
    contexts,
    complete: rollup.contexts?.pageInfo?.hasNextPage !== true,
  };
}

function readState(node: PrNode): PrState {
  if (node.merged === true || node.state === "MERGED") return "merged";
  if (node.state === "OPEN") return "open";
  if (node.state === "CLOSED") return "closed";
  return "unknown";
}

const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);

/** A PrStatus from one answered PullRequest node. */
export function readPrNode(ref: PrRef, node: PrNode, checkedAt: string): PrStatus {
  const state = readState(node);
  return {
    repo: ref.repo,
    number: ref.number,
    state,
    ciStatus: ciStatusFromRollup(state === "merged", readRollup(node)),
    mergedAt: str(node.mergedAt),
    reviewDecision: str(node.reviewDecision),
    isDraft: typeof node.isDraft === "boolean" ? node.isDraft : null,
    mergeable: str(node.mergeable),
    url: str(node.url),
    title: typeof node.title === "string" ? node.title : null,
    checkedAt,
    stale: false,
  };
}

/** The answer for a PR GitHub could not resolve (deleted, renamed, or not visible to the token). */
export function unknownPrStatus(ref: PrRef, checkedAt: string): PrStatus {
  return {
    repo: ref.repo,
    number: ref.number,
    state: "unknown",
    ciStatus: "unknown",
    mergedAt: null,
    reviewDecision: null,
    isDraft: null,
    mergeable: null,
    url: null,
    title: null,
    checkedAt,
    stale: false,
  };
}

/** Picks each ref's node out of a GraphQL `data` object (missing or null means unresolved). */
export function pickPrNodes(query: PrQuery, data: unknown): Array<{ ref: PrRef; node: PrNode | null }> {
  const root = data && typeof data === "object" ? (data as Record<string, unknown>) : {};
  return query.aliases.map(({ ref, repoAlias, prAlias }) => {
    const repo = root[repoAlias];
    const node = repo && typeof repo === "object" ? (repo as Record<string, unknown>)[prAlias] : null;
    return { ref, node: node && typeof node === "object" ? (node as PrNode) : null };
  });
}
