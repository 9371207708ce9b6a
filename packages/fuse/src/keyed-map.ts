import { setOwn } from "./own-property.js";

// A persistent string-keyed map as plain data: 64 buckets of plain objects. Setting one key copies
// one bucket (~1/64 of the entries) and the bucket array, so a change to one worker of a 2,000-worker
// orchestrator copies ~30 entries instead of 2,000, and earlier states and snapshots stay intact.

const BUCKETS = 64;

/** An immutable map from string keys to values; create with `emptyKeyedMap`, change with `setKey`. */
export interface KeyedMap<V> {
  readonly size: number;
  readonly buckets: ReadonlyArray<Readonly<Record<string, V>> | undefined>;
}

const EMPTY: KeyedMap<never> = { size: 0, buckets: [] };

/** The empty map (shared; never mutated). */
export function emptyKeyedMap<V>(): KeyedMap<V> {
  return EMPTY as KeyedMap<V>;
}

function bucketOf(key: string): number {
  let hash = 0;
  for (let i = 0; i < key.length; i++) hash = (hash * 31 + key.charCodeAt(i)) | 0;
  return (hash >>> 0) % BUCKETS;
}

/** The value under `key`, if any. */
export function getKey<V>(map: KeyedMap<V>, key: string): V | undefined {
  const bucket = map.buckets[bucketOf(key)];
  return bucket !== undefined && Object.hasOwn(bucket, key) ? bucket[key] : undefined;
}

/**
 * A new map with `key` set to `value`. With `fresh` (a draft's own objects, see draft-fresh.ts), a
 * map or bucket the same draft created is changed in place, and what is created is marked fresh:
 * 20 workers read into one orchestrator in a batch copy its bucket array once, not 20 times.
 */
export function setKey<V>(map: KeyedMap<V>, key: string, value: V, fresh?: WeakSet<object>): KeyedMap<V> {
  const index = bucketOf(key);
  const bucket = map.buckets[index];
  const had = bucket !== undefined && Object.hasOwn(bucket, key);
  if (fresh?.has(map)) {
    const own = map as { size: number; buckets: Array<Record<string, V> | undefined> };
    let into = own.buckets[index];
    if (into === undefined || !fresh.has(into)) {
      into = { ...into };
      fresh.add(into);
      own.buckets[index] = into;
    }
    setOwn(into, key, value);
    if (!had) own.size += 1;
    return map;
  }
  const buckets = map.buckets.slice();
  const next = { ...bucket, [key]: value };
  buckets[index] = next;
  const made = { size: had ? map.size : map.size + 1, buckets };
  if (fresh) {
    fresh.add(made);
    fresh.add(next);
  }
  return made;
}

/** A new map without `key` (the same map when the key is absent). */
export function deleteKey<V>(map: KeyedMap<V>, key: string): KeyedMap<V> {
  const index = bucketOf(key);
  const bucket = map.buckets[index];
  if (bucket === undefined || !Object.hasOwn(bucket, key)) return map;
  const { [key]: _removed, ...rest } = bucket;
  const buckets = map.buckets.slice();
  buckets[index] = rest;
  return { size: map.size - 1, buckets };
}

/**
 * A new map with every change applied in order (a value sets its key, `undefined` deletes it):
 * the same map as `setKey`/`deleteKey` one change at a time, but each bucket the changes touch is
 * copied once and the bucket array once, not once per change (an orchestrator publishing its 20
 * workers copied the array 20 times). The same map when there is nothing to change.
 */
export function withChanges<V>(
  map: KeyedMap<V>,
  changes: ReadonlyArray<readonly [string, V | undefined]>,
): KeyedMap<V> {
  if (changes.length === 0) return map;
  if (changes.length === 1) {
    const [key, value] = changes[0]!;
    return value === undefined ? deleteKey(map, key) : setKey(map, key, value);
  }
  const buckets: Array<Readonly<Record<string, V>> | undefined> = map.buckets.slice();
  const copied = new Set<number>();
  let size = map.size;
  for (const [key, value] of changes) {
    const index = bucketOf(key);
    let bucket = buckets[index] as Record<string, V> | undefined;
    const had = bucket !== undefined && Object.hasOwn(bucket, key);
    if (value === undefined && !had) continue;
    if (!copied.has(index)) {
      bucket = { ...bucket };
      buckets[index] = bucket;
      copied.add(index);
    }
    if (value === undefined) {
      delete bucket![key];
      size -= 1;
    } else {
      setOwn(bucket!, key, value);
      if (!had) size += 1;
    }
  }
  return copied.size === 0 ? map : { size, buckets };
}

/** Call `visit` for every entry (order: by bucket, then insertion). */
export function forEachKey<V>(map: KeyedMap<V>, visit: (value: V, key: string) => void): void {
  for (const bucket of map.buckets) {
    if (bucket === undefined) continue;
    for (const key in bucket) visit(bucket[key] as V, key);
  }
}

/** Every key. */
export function keysOf<V>(map: KeyedMap<V>): string[] {
  const out: string[] = [];
  forEachKey(map, (_value, key) => out.push(key));
  return out;
}

/** A plain record copy of the map. */
export function toRecord<V>(map: KeyedMap<V>): Record<string, V> {
  const out: Record<string, V> = {};
  forEachKey(map, (value, key) => {
    setOwn(out, key, value);
  });
  return out;
}

/** Build a map from entries in one pass (later duplicates win). */
export function keyedMapFrom<V>(entries: Iterable<readonly [string, V]>): KeyedMap<V> {
  const buckets: Array<Record<string, V> | undefined> = [];
  let size = 0;
  for (const [key, value] of entries) {
    const index = bucketOf(key);
    let bucket = buckets[index];
    if (bucket === undefined) {
      bucket = {};
      buckets[index] = bucket;
    }
    if (!Object.hasOwn(bucket, key)) size++;
    setOwn(bucket, key, value);
  }
  return size === 0 ? emptyKeyedMap() : { size, buckets };
}
