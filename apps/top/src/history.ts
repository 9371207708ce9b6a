// `catalyst-top --at <ts>`: the fleet at a past time, not live. From a monitor's
// `/api/snapshot?at=`, or folded in-process from the catalyst dir's event log (@catalyst/engine's
// time travel, with the fold checkpoints in the user cache dir).
import { createFleetStore } from "@catalyst/client";
import { foldAt } from "@catalyst/engine";
import type { Delta, Snapshot } from "@catalyst/schema/constants";
import { resolveCacheDir } from "@catalyst/sources/event-log";
import type { EventLineView, FleetSource } from "./fleet-source.js";

/** Where to read the past fleet from. */
export interface HistoryTarget {
  mode: "url" | "dir";
  url: string;
  dir: string | null;
  token: string | null;
  at: Date;
}

/** The fleet at `target.at`, marked with `at`. Throws a one-line error when it cannot be had. */
export async function historicalSnapshot(target: HistoryTarget, env: NodeJS.ProcessEnv): Promise<Snapshot> {
  if (target.mode === "dir") {
    if (target.dir === null) throw new Error("no catalyst dir");
    const { snapshot } = await foldAt(target.dir, target.at, { cacheDir: resolveCacheDir(env) });
    return { ...snapshot, at: target.at.toISOString() };
  }
  const base = target.url.replace(/\/+$/, "");
  const q = new URLSearchParams({ at: target.at.toISOString() });
  if (target.token !== null) q.set("token", target.token);
  let res: Response;
  try {
    res = await fetch(`${base}/api/snapshot?${q}`);
  } catch (error) {
    throw new Error(
      `cannot reach the monitor at ${base} (${(error as { cause?: { code?: string } }).cause?.code ?? String(error)})`,
    );
  }
  if (res.status === 401 || res.status === 403)
    throw new Error(`the monitor at ${base} refused the request (${res.status}): check --token`);
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw new Error(
      `the monitor at ${base} answered ${res.status}${body?.error?.message ? `: ${body.error.message}` : ""}`,
    );
  }
  const snapshot = (await res.json()) as Snapshot;
  // A monitor from before time travel ignores `at` and answers the live fleet: never show that as the past.
  if (snapshot.at === undefined)
    throw new Error(`the monitor at ${base} cannot answer the fleet at a past time (no /api/snapshot?at=)`);
  return snapshot;
}

/** A fleet source that shows one past moment: loaded once, never updated, the header says "viewing <ts>". */
export function historicalSource(target: HistoryTarget, env: NodeJS.ProcessEnv): FleetSource {
  const store = createFleetStore();
  const at = target.at.toISOString();
  let loaded: Promise<void> | null = null;
  return {
    store,
    label: target.mode === "dir" ? `${target.dir} (event log)` : target.url,
    state: () => ({ state: "historical", at }),
    alerts: () => null,
    onState: () => () => {},
    start() {
      loaded ??= historicalSnapshot(target, env).then((snapshot) => {
        store.apply({ id: 0, event: "snapshot", data: snapshot } as Delta);
      });
      return loaded;
    },
    loaded: () => loaded ?? Promise.resolve(),
    stop: async () => {},
    // The worker's history up to the moment shown is in `catalyst-replay --until`; not fetched here.
    recentEvents: async (): Promise<EventLineView[]> => [],
  };
}
