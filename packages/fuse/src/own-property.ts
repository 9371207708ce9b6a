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
  // Only `__proto__` is an accessor of Object.prototype: any other key assigned to a plain record
  // becomes an own data property, and plain assignment is several times cheaper than
  // defineProperty (a start-up builds hundreds of thousands of these, issue 26).
  if (key === "__proto__")
    Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
}
