import type { z } from "zod";
import {
  describeExpected,
  formatJsonPath,
  makeIssue,
  type ParseResult,
  parseWith,
  type SchemaIssue,
  trimForMessage,
} from "./parse-result.js";

type Segment = string | number;

/** How a document is repaired: what may never be dropped, and what stands in for a bad required field. */
export interface TolerancePolicy {
  /** True for paths whose bad value makes the whole document invalid (its identity). */
  isIdentity(path: readonly Segment[]): boolean;
  /**
   * A stand-in for a bad or missing required field at `path`, computed from the document as
   * repaired so far; undefined when the field has none (then its parent is dropped instead).
   */
  fallback?(path: readonly Segment[], doc: Record<string, unknown>): unknown;
}

// Each pass repairs at least one value, and a document has finitely many; the cap only bounds
// pathological input (thousands of bad fields), which is then reported as invalid.
const MAX_PASSES = 64;

function isContainer(value: unknown): value is Record<Segment, unknown> {
  return value !== null && typeof value === "object";
}

function valueAt(root: unknown, path: readonly Segment[]): unknown {
  let cur = root;
  for (const key of path) {
    if (!isContainer(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

/** The leaf paths of one zod issue; a union is resolved to the object option's own issues. */
function leafIssues(
  issue: z.core.$ZodIssue,
  input: unknown,
  base: readonly Segment[] = [],
): {
  path: Segment[];
  issue: z.core.$ZodIssue;
}[] {
  const path = [...base, ...(issue.path as Segment[])];
  if (issue.code === "invalid_union" && isContainer(valueAt(input, path))) {
    // The option whose issues all point inside the value is the one of the value's own shape.
    const inner = issue.errors.find((errs) => errs.length > 0 && errs.every((e) => e.path.length > 0));
    if (inner) return inner.flatMap((e) => leafIssues(e, input, path));
  }
  return [{ path, issue }];
}

/** Remove the value at `path`; true when an array shrank (later indexes in this pass are stale). */
function removeAt(root: Record<Segment, unknown>, path: readonly Segment[]): boolean {
  const parent = valueAt(root, path.slice(0, -1));
  if (!isContainer(parent)) return false;
  const key = path[path.length - 1] as Segment;
  if (Array.isArray(parent) && typeof key === "number") {
    parent.splice(key, 1);
    return true;
  }
  delete parent[key];
  return false;
}

function setAt(root: Record<Segment, unknown>, path: readonly Segment[], value: unknown): void {
  const parent = valueAt(root, path.slice(0, -1));
  if (isContainer(parent)) parent[path[path.length - 1] as Segment] = value;
}

/**
 * Validate decoded JSON, repairing what can be repaired: an optional field with a wrong type or
 * null is dropped (a required one gets the policy's stand-in, or its parent is dropped) and each
 * repair is returned as a warning naming the path, expected and received. Only a bad identity
 * field, or a document that is not an object, is an error. The input is not modified.
 */
export function parseTolerant<S extends z.ZodType>(
  schema: S,
  input: unknown,
  policy: TolerancePolicy,
  file?: string,
): ParseResult<z.output<S>> {
  const first = schema.safeParse(input);
  if (first.success) return { ok: true, value: first.data };
  if (!isContainer(input) || Array.isArray(input)) return parseWith(schema, input, file);
  const doc = structuredClone(input) as Record<Segment, unknown>;
  const warnings: SchemaIssue[] = [];
  const fileField = file === undefined ? {} : { file };
  let issues = first.error.issues;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    for (const { path, issue } of issues.flatMap((each) => leafIssues(each, doc))) {
      if (path.length === 0 || policy.isIdentity(path)) return parseWith(schema, input, file);
      const received = valueAt(doc, path);
      warnings.push(
        makeIssue({
          ...fileField,
          path: formatJsonPath(path),
          segments: path,
          expected: describeExpected(issue),
          received: trimForMessage(received),
        }),
      );
      const stand = policy.fallback?.(path, doc as Record<string, unknown>);
      let shifted = false;
      if (stand !== undefined) setAt(doc, path, stand);
      else if (received === undefined && path.length > 1) shifted = removeAt(doc, path.slice(0, -1));
      else if (received === undefined) return parseWith(schema, input, file);
      else shifted = removeAt(doc, path);
      // An array shrank: the remaining issues' indexes may be stale, so validate again first.
      if (shifted) break;
    }
    const next = schema.safeParse(doc);
    if (next.success) return { ok: true, value: next.data, warnings };
    issues = next.error.issues;
  }
  return parseWith(schema, input, file);
}
