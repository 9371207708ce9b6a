import type { z } from "zod";

// A plain-JavaScript check compiled once from a zod schema, for the files a start-up reads by the
// thousand (issue 26: at 10,000 workers zod cost about twelve times JSON.parse, most of it while
// its own code was still being compiled and optimised).
//
// The zod schema stays the one source of truth: this walks its definition and answers only "does
// zod accept this document unchanged?". It is conservative: any construct it does not know
// (a transform, a default, a check it has no rule for, a strict object with extra keys, a
// `__proto__` key) makes it answer false, and the caller then parses with zod as before, so every
// repair, warning and error marker still comes from zod. A true answer means zod would succeed
// and return a value deep-equal to the input (`fast-valid.test.ts` checks both over fixtures and
// generated documents); the input is then used as it is.

type Check = (value: unknown) => boolean;

interface Def {
  type: string;
  checks?: ReadonlyArray<{ _zod: { def: CheckDef } }>;
  innerType?: z.ZodType;
  options?: readonly z.ZodType[];
  values?: readonly unknown[];
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  element?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
}

interface CheckDef {
  check: string;
  format?: string;
  value?: unknown;
  inclusive?: boolean;
  fn?: (value: unknown) => unknown;
  when?: unknown;
}

const never: Check = () => false;

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The checks of a string or number schema as one function; null when one is not understood. */
function compileChecks(def: Def): Check | null {
  const checks: Check[] = [];
  for (const check of def.checks ?? []) {
    const c = check._zod.def;
    // A check that runs only `when` something holds is zod's business.
    if (c.when !== undefined) return null;
    if (c.check === "custom" && typeof c.fn === "function") {
      const fn = c.fn;
      checks.push((value) => fn(value) === true);
    } else if (c.check === "number_format" && c.format === "safeint") {
      checks.push((value) => Number.isSafeInteger(value));
    } else if (c.check === "greater_than" && typeof c.value === "number") {
      const min = c.value;
      checks.push(c.inclusive ? (value) => (value as number) >= min : (value) => (value as number) > min);
    } else if (c.check === "less_than" && typeof c.value === "number") {
      const max = c.value;
      checks.push(c.inclusive ? (value) => (value as number) <= max : (value) => (value as number) < max);
    } else return null;
  }
  if (checks.length === 0) return () => true;
  if (checks.length === 1) return checks[0]!;
  return (value) => {
    for (const check of checks) if (!check(value)) return false;
    return true;
  };
}

function compile(schema: z.ZodType, seen: Map<z.ZodType, Check>): Check {
  const known = seen.get(schema);
  if (known) return known;
  // A schema met again while compiling itself (recursion) answers through this indirection.
  let compiled: Check = never;
  seen.set(schema, (value) => compiled(value));
  compiled = compileDef(defOf(schema), seen);
  seen.set(schema, compiled);
  return compiled;
}

function compileDef(def: Def, seen: Map<z.ZodType, Check>): Check {
  switch (def.type) {
    case "unknown":
    case "any":
      return () => true;
    case "string": {
      const checks = compileChecks(def);
      if (checks === null) return never;
      return (value) => typeof value === "string" && checks(value);
    }
    case "number": {
      const checks = compileChecks(def);
      if (checks === null) return never;
      return (value) => typeof value === "number" && Number.isFinite(value) && checks(value);
    }
    case "boolean":
      return def.checks?.length ? never : (value) => typeof value === "boolean";
    case "null":
      return (value) => value === null;
    case "literal": {
      const values = def.values ?? [];
      return (value) => values.includes(value);
    }
    case "optional": {
      const inner = compile(def.innerType!, seen);
      return (value) => value === undefined || inner(value);
    }
    case "nullable": {
      const inner = compile(def.innerType!, seen);
      return (value) => value === null || inner(value);
    }
    case "catch": {
      // Valid for the inner schema: the catch is not used and the value is kept. Else zod decides.
      return compile(def.innerType!, seen);
    }
    case "union": {
      const options = (def.options ?? []).map((o) => compile(o, seen));
      return (value) => {
        for (const option of options) if (option(value)) return true;
        return false;
      };
    }
    case "array": {
      if (def.checks?.length) return never;
      const element = compile(def.element!, seen);
      return (value) => {
        if (!Array.isArray(value)) return false;
        for (const item of value) if (!element(item)) return false;
        return true;
      };
    }
    case "record": {
      const keyDef = defOf(def.keyType!);
      if (keyDef.type !== "string" || keyDef.checks?.length) return never;
      const item = compile(def.valueType!, seen);
      return (value) => {
        if (!isPlainObject(value)) return false;
        for (const key in value) {
          if (key === "__proto__" || !item(value[key])) return false;
        }
        return true;
      };
    }
    case "object":
      return compileObject(def, seen);
    default:
      return never;
  }
}

function compileObject(def: Def, seen: Map<z.ZodType, Check>): Check {
  const shape = def.shape ?? {};
  const keys = Object.keys(shape);
  const fields = keys.map((key) => compile(shape[key]!, seen));
  // A loose object keeps unknown keys (catchall unknown); a plain one drops them, so a document
  // with any is not kept unchanged; any other catchall is zod's business.
  const catchall = def.catchall === undefined ? null : defOf(def.catchall).type;
  if (catchall !== null && catchall !== "unknown") return never;
  const known = new Set(keys);
  return (value) => {
    if (!isPlainObject(value)) return false;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (!fields[i]!(Object.hasOwn(value, key) ? value[key] : undefined)) return false;
    }
    for (const key in value) {
      if (key === "__proto__") return false;
      if (catchall === null && !known.has(key)) return false;
    }
    return true;
  };
}

/**
 * A function that answers true only for a document the schema accepts unchanged (see the file's
 * comment); false means "ask zod". Compile once, call per document.
 */
export function compileFastValid(schema: z.ZodType): (value: unknown) => boolean {
  return compile(schema, new Map());
}
