import type { PrRef } from "@catalyst/schema";

// FORMATS §2.4: the monitor takes owner/repo from `^https?://github\.com/<owner>/<repo>/pull/<n>`;
// other hosts skip PR polling. Trailing `/files`, `?query` or `#fragment` are allowed.
const PR_URL =
  /^https?:\/\/github\.com\/([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)\/([A-Za-z0-9._-]+)\/pull\/(\d+)(?:[/?#].*)?$/;

/** `owner/name` and number from a github.com PR URL; null for other hosts and malformed URLs. */
export function parsePrUrl(url: string): PrRef | null {
  if (typeof url !== "string") return null;
  const match = PR_URL.exec(url.trim());
  if (!match) return null;
  const [, owner, name, digits] = match as unknown as [string, string, string, string];
  if (name === "." || name === "..") return null;
  const number = Number(digits);
  if (!Number.isSafeInteger(number) || number <= 0) return null;
  return { repo: `${owner}/${name}`, number };
}

/**
 * The PR to poll for a signal file's or global state's `pr` value (FORMATS §2.4), or null.
 * The repo comes only from the URL; a bare number (some event payloads) has no repo to poll.
 */
export function parsePrValue(pr: unknown): PrRef | null {
  if (!pr || typeof pr !== "object") return null;
  const { url } = pr as { url?: unknown };
  return typeof url === "string" ? parsePrUrl(url) : null;
}

/** A stable map key for a ref: `owner/name#123`. */
export function prKey(ref: PrRef): string {
  return `${ref.repo}#${ref.number}`;
}
