import { execFile } from "node:child_process";

/** Where the GitHub token came from (the token itself is never reported). */
export type GithubTokenSource = "GITHUB_TOKEN" | "GH_TOKEN" | "gh";

/** Runs `gh auth token` and returns its trimmed output, or null when gh is missing or fails. */
export function runGhAuthToken(
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 5_000,
): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(
      "gh",
      ["auth", "token"],
      { env, timeout: timeoutMs, windowsHide: true, maxBuffer: 64 * 1024 },
      (error, stdout) => {
        // ENOENT (no gh), not logged in (exit 1), or a hung gh killed by the timeout: all mean "no token".
        if (error) return resolve(null);
        const token = String(stdout).trim();
        resolve(token === "" || /\s/.test(token) ? null : token);
      },
    );
  });
}

/**
 * The GitHub token: `GITHUB_TOKEN`, else `GH_TOKEN`, else `gh auth token` when the gh CLI exists.
 * Null when there is none; never throws.
 */
export async function resolveGithubToken(
  env: NodeJS.ProcessEnv = process.env,
  deps: { runGh?: () => Promise<string | null> } = {},
): Promise<{ token: string; source: GithubTokenSource } | null> {
  for (const source of ["GITHUB_TOKEN", "GH_TOKEN"] as const) {
    const value = env[source]?.trim();
    if (value) return { token: value, source };
  }
  let token: string | null;
  try {
    token = await (deps.runGh ?? (() => runGhAuthToken(env)))();
  } catch {
    token = null;
  }
  token = token?.trim() || null;
  return token ? { token, source: "gh" } : null;
}
