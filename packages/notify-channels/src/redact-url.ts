// Webhook and ntfy URLs are secrets in themselves (Slack's path is the key; an ntfy topic is its
// own password; query strings carry tokens): only the scheme and host are ever shown.

/** `https://hooks.slack.com/***` for any URL with a path, query or credentials; the input for a non-URL is hidden too. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    const hidden =
      u.username !== "" || u.password !== "" || u.search !== "" || (u.pathname !== "/" && u.pathname !== "");
    return `${u.protocol}//${u.host}${hidden ? "/***" : "/"}`;
  } catch {
    return "***";
  }
}

/** The URL if it is http(s), else null. */
export function parseHttpUrl(text: string): URL | null {
  try {
    const u = new URL(text);
    return u.protocol === "http:" || u.protocol === "https:" ? u : null;
  } catch {
    return null;
  }
}
