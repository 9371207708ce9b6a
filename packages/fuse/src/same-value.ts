/** Structural equality for plain JSON-like data (objects, arrays, primitives); key order is ignored. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) {
    return typeof a === "number" && typeof b === "number" && Number.isNaN(a) && Number.isNaN(b);
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let count = 0;
  for (const key in ra) {
    if (!Object.hasOwn(ra, key)) continue;
    const va = ra[key];
    if (va === undefined) continue;
    if (!sameValue(va, rb[key])) return false;
    count++;
  }
  for (const key in rb) if (Object.hasOwn(rb, key) && rb[key] !== undefined) count--;
  return count === 0;
}
