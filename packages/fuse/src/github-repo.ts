// FORMATS §2.4: `owner/repo` comes from a github.com pull URL; other hosts are not polled.
const PULL_URL = /^https?:\/\/github\.com\/([^/\s]+)\/([^/\s]+)\/pull\/\d+/;

/** `owner/name` of a github.com pull-request URL, or null for any other URL. */
export function githubRepoOf(url: string | null): string | null {
  if (url === null) return null;
  const match = PULL_URL.exec(url);
  return match ? `${match[1]}/${match[2]}` : null;
}
