import { formatJsonPath, type GlobalState, type ParseResult, type SchemaIssue } from "@catalyst/schema";

// A host's global state.json names its orchestrators by their ids on that host; centrally every id
// is `<host>/<id>` (the namespace), so the file's keys, the warnings that point into it and its
// file name are rewritten the same way. Everything else in the file is left as it is.

/** How host-local ids and paths become fleet-wide ones. */
export type Namespace = (host: string, id: string) => string;

function namespaceIssue(issue: SchemaIssue, host: string, ns: Namespace, file: string): SchemaIssue {
  const out: SchemaIssue = { ...issue, file };
  const segments = issue.segments;
  if (segments && segments[0] === "orchestrators" && typeof segments[1] === "string") {
    const next = [...segments];
    next[1] = ns(host, segments[1]);
    out.segments = next;
    out.path = formatJsonPath(next);
  }
  return out;
}

/** The global state read of `host` with its orchestrator ids, warnings and file namespaced. */
export function namespaceGlobalState(
  result: ParseResult<GlobalState>,
  host: string,
  ns: Namespace,
  file: string,
): ParseResult<GlobalState> {
  if (!result.ok) return { ok: false, error: { ...result.error, file } };
  const value = result.value;
  const source = value.orchestrators;
  let orchestrators = source;
  if (source && typeof source === "object") {
    const renamed: Record<string, unknown> = {};
    for (const [id, entry] of Object.entries(source)) {
      // defineProperty: an id such as `__proto__` stays an ordinary key.
      Object.defineProperty(renamed, ns(host, id), {
        value: entry,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    orchestrators = renamed as typeof source;
  }
  const out: ParseResult<GlobalState> = { ok: true, value: { ...value, orchestrators } };
  if (result.warnings) out.warnings = result.warnings.map((w) => namespaceIssue(w, host, ns, file));
  return out;
}
