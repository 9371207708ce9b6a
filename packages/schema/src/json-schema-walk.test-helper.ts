// Test helper: flattens a JSON Schema into the facts the anchor comparison needs.

type Json = Record<string, unknown>;

/** Required keys and enum values of a JSON Schema, by a path such as `$.orchestrators.*.workers.*`. */
export interface SchemaFacts {
  required: Map<string, Set<string>>;
  enums: Map<string, Set<string>>;
}

function resolve(root: Json, node: Json): Json {
  const ref = node.$ref;
  if (typeof ref === "string" && ref.startsWith("#/")) {
    let cur: unknown = root;
    for (const part of ref.slice(2).split("/")) cur = (cur as Json)[part];
    return resolve(root, cur as Json);
  }
  return node;
}

/** Walk `schema` and collect its facts. Unions (anyOf/oneOf) merge into the same path. */
export function collectFacts(schema: Json): SchemaFacts {
  const facts: SchemaFacts = { required: new Map(), enums: new Map() };
  const seen = new Set<Json>();
  const visit = (raw: Json, path: string): void => {
    const node = resolve(schema, raw);
    if (seen.has(node) && path.split("*").length > 6) return;
    seen.add(node);
    if (Array.isArray(node.required) && node.required.length > 0) {
      const set = facts.required.get(path) ?? new Set<string>();
      for (const k of node.required) set.add(String(k));
      facts.required.set(path, set);
    }
    if (Array.isArray(node.enum)) {
      const set = facts.enums.get(path) ?? new Set<string>();
      for (const v of node.enum) if (typeof v === "string") set.add(v);
      facts.enums.set(path, set);
    }
    for (const key of ["anyOf", "oneOf", "allOf"]) {
      const list = node[key];
      if (Array.isArray(list)) for (const sub of list) visit(sub as Json, path);
    }
    const props = node.properties;
    if (props && typeof props === "object") {
      for (const [k, sub] of Object.entries(props as Json)) visit(sub as Json, `${path}.${k}`);
    }
    const extra = node.additionalProperties;
    if (extra && typeof extra === "object") visit(extra as Json, `${path}.*`);
    const items = node.items;
    if (items && typeof items === "object" && !Array.isArray(items)) visit(items as Json, `${path}[]`);
  };
  visit(schema, "$");
  return facts;
}
