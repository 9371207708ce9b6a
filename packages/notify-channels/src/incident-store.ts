import { join } from "node:path";
import type { PersistedIncident } from "@catalyst/notify";
import { readJsonFile, writeJsonFile } from "./state-files.js";

/** Where the open incidents are kept between runs. */
export interface IncidentStore {
  readonly path: string;
  /** The incidents of the last run; [] when there is no file. A bad file gives [] and a `problem`. */
  load(): Promise<{ incidents: PersistedIncident[]; problem: string | null }>;
  save(incidents: readonly PersistedIncident[]): Promise<void>;
}

function isIncident(value: unknown): value is PersistedIncident {
  const v = value as Partial<PersistedIncident> | null;
  const nullableString = (x: unknown) => x === null || typeof x === "string";
  return (
    typeof v === "object" &&
    v !== null &&
    typeof v.incident === "string" &&
    typeof v.kind === "string" &&
    typeof v.title === "string" &&
    typeof v.openedAt === "number" &&
    nullableString(v.orchestrator) &&
    nullableString(v.worker) &&
    nullableString(v.host) &&
    Array.isArray(v.members) &&
    v.members.every((m) => typeof m === "string")
  );
}

/** The store in `<stateDir>/<name>` (default `notify-incidents.json`); one per monitor (`--nats` uses its own name). */
export function createIncidentStore(stateDir: string, name = "notify-incidents.json"): IncidentStore {
  const path = join(stateDir, name);
  return {
    path,
    async load() {
      const read = await readJsonFile(path);
      if (read === null) return { incidents: [], problem: null };
      if (!read.ok) return { incidents: [], problem: `${path}: ${read.error}` };
      const list = (read.value as { incidents?: unknown } | null)?.incidents;
      if (!Array.isArray(list)) return { incidents: [], problem: `${path}: no incidents list` };
      const incidents = list.filter(isIncident);
      const skipped = list.length - incidents.length;
      return { incidents, problem: skipped > 0 ? `${path}: ${skipped} unreadable incidents skipped` : null };
    },
    save: (incidents) => writeJsonFile(path, { version: 1, incidents }),
  };
}
