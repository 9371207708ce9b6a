// Keys come from file names, tickets and log lines, so a key may be "__proto__" or "constructor".
// Read and write records only through own properties so such a key is an ordinary key.

/** `record[key]` when it is an own property, else undefined. */
export function ownValue<V>(
  record: Readonly<Record<string, V>> | null | undefined,
  key: string,
): V | undefined {
  return record != null && Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Set `record[key]` as an own, enumerable data property (never the prototype setter). */
export function setOwn<V>(record: Record<string, V>, key: string, value: V): void {
  // `__proto__` is the one key with a setter on Object.prototype; every other key is assigned
  // as an own data property, and assigning is several times cheaper than defineProperty (issue
  // 26: setOwn was 3 % of a 10,000-worker start-up's CPU).
  if (key === "__proto__")
    Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
}
