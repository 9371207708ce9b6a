import type { z } from "zod";

/** A problem found while parsing one input: where it was, what was expected, what arrived. */
export interface SchemaIssue {
  /** The file the input came from, when the caller named one. */
  file?: string;
  /** JSON path of the offending value, e.g. `$.pr.number`; `$` for the whole document. */
  path: string;
  expected: string;
  /** A trimmed rendering of what arrived. */
  received: string;
  /** One line naming file, path, expected and received. */
  message: string;
  /** `path` as keys and indexes, for callers that attribute an issue to part of a document. */
  segments?: (string | number)[];
}

/** Expected bad input is data, not an exception: every parser returns one of these. */
export type ParseResult<T> =
  | {
      ok: true;
      value: T;
      /** Values that were dropped or replaced so the rest could be kept (tolerant parsers only). */
      warnings?: SchemaIssue[];
    }
  | { ok: false; error: SchemaIssue };

const MAX_RECEIVED = 80;

/** Render a value for an error message, trimmed to a readable length. */
export function trimForMessage(value: unknown, max = MAX_RECEIVED): string {
  let text: string;
  if (value === undefined) text = "nothing";
  else if (typeof value === "string") text = JSON.stringify(value);
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      // A cycle, a BigInt, or nesting deep enough to overflow the stack: String() of a deep array
      // recurses too, so it gets its own guard (issue 17: a 100k-deep array broke the message).
      try {
        text = String(value);
      } catch {
        text = Array.isArray(value) ? "an array" : typeof value;
      }
    }
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Format a zod issue path as a JSON path (`$.workers["CTL-48"].phase`). */
export function formatJsonPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "$";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_$][\w$]*$/.test(key)) out += `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/** Build a SchemaIssue with its one-line message. */
export function makeIssue(fields: Omit<SchemaIssue, "message">): SchemaIssue {
  const where = fields.file ? `${fields.file}: ` : "";
  return {
    ...fields,
    message: `${where}at ${fields.path}: expected ${fields.expected}, received ${fields.received}`,
  };
}

function valueAt(input: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let cur: unknown = input;
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

export function describeExpected(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return issue.expected;
    case "invalid_value":
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "too_small":
      return `${issue.origin} >= ${String(issue.minimum)}`;
    case "too_big":
      return `${issue.origin} <= ${String(issue.maximum)}`;
    case "invalid_union":
      return "a value matching one of the allowed shapes";
    default:
      return issue.message;
  }
}

/** Validate already-decoded JSON against a schema, returning a result that names the file and path. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  input: unknown,
  file?: string,
): ParseResult<z.output<S>> {
  const res = schema.safeParse(input);
  if (res.success) return { ok: true, value: res.data };
  const first = res.error.issues[0];
  const path = first ? first.path : [];
  return {
    ok: false,
    error: makeIssue({
      ...(file === undefined ? {} : { file }),
      path: formatJsonPath(path),
      expected: first ? describeExpected(first) : "valid input",
      received: trimForMessage(valueAt(input, path)),
    }),
  };
}

/**
 * @default nesting cap of a JSON document: real Catalyst files nest under ten levels; a value
 * nested thousands deep overflows the stack in every recursive walk after the parse (validation,
 * cloning, `JSON.stringify` for the API), so it is refused up front.
 */
export const MAX_JSON_DEPTH = 64;

/** The deepest nesting of arrays and objects in JSON text, stopping once it passes `cap` (strings skipped). */
export function jsonDepth(text: string, cap = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > cap) return max;
      }
    } else if (c === 125 || c === 93) depth--;
  }
  return max;
}

/** The issue of a text `JSON.parse` refused (`cause`), at `$`. */
export function invalidJson(text: string, file: string | undefined, cause: unknown): ParseResult<never> {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return {
    ok: false,
    error: makeIssue({
      ...(file === undefined ? {} : { file }),
      path: "$",
      expected: "valid JSON",
      received: `${trimForMessage(text, 60)} (${reason})`,
    }),
  };
}

/**
 * Decode JSON text and validate it; empty, torn, non-JSON or too deeply nested text (over
 * `maxDepth`) becomes an issue at `$`.
 */
export function parseJsonText<S extends z.ZodType>(
  schema: S,
  text: string,
  file?: string,
  validate: (decoded: unknown) => ParseResult<z.output<S>> = (decoded) => parseWith(schema, decoded, file),
  maxDepth = MAX_JSON_DEPTH,
): ParseResult<z.output<S>> {
  const fileField = file === undefined ? {} : { file };
  if (text.trim() === "") {
    return {
      ok: false,
      error: makeIssue({ ...fileField, path: "$", expected: "a JSON document", received: "an empty file" }),
    };
  }
  if (jsonDepth(text, maxDepth) > maxDepth) {
    return {
      ok: false,
      error: makeIssue({
        ...fileField,
        path: "$",
        expected: `JSON nested at most ${maxDepth} deep`,
        received: `a document nested more than ${maxDepth} deep`,
      }),
    };
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(text);
  } catch (cause) {
    return invalidJson(text, file, cause);
  }
  return validate(decoded);
}
