import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  generateJsonSchemas,
  KNOWN_ATTENTION_TYPES,
  KNOWN_CI_STATUSES,
  KNOWN_EVENT_TYPES,
  KNOWN_ORCHESTRATOR_STATUSES,
  KNOWN_WORKER_STATUSES,
} from "./index.js";
import { collectFacts } from "./json-schema-walk.test-helper.js";

// The anchor JSON Schemas are the templates the real writers were built against (copied verbatim
// from the upstream repository, see fixtures/anchor). We are deliberately more lenient: real files
// break the templates (FORMATS §2.10, §3.4, §8.12), and a reader that rejects them loses data.
// Every difference is listed here with its reason; the test fails on an unlisted difference and on
// a listed one that no longer exists.

const anchorDir = join(import.meta.dirname, "..", "fixtures", "anchor");
const ours = generateJsonSchemas();
const ANCHORS = ["schemas-168b0093", "schemas-1ce9444c"] as const;

/** anchor file → our published schema. */
const PAIRS = {
  "worker-signal.json": "worker-signal",
  "global-state.json": "global-state",
  "global-event.json": "event-line",
} as const;

const LENIENT_SIGNAL =
  "orchestrate-followup and agents editing in place write signal files without it; the reader falls back (FORMATS §2.7)";
const PARTIAL_ENTRIES =
  "catalyst-state.sh creates partial entries with jq `|=` on unknown ids (FORMATS §3.4)";

/** Keys the anchor requires that we do not, by `<anchor file> <path>`. */
const RELAXED_REQUIRED: Record<string, { keys: string[]; reason: string }> = {
  "worker-signal.json $": {
    keys: ["orchestrator", "workerName", "startedAt", "updatedAt"],
    reason: LENIENT_SIGNAL,
  },
  "global-state.json $": {
    keys: ["version", "lastUpdated"],
    reason: 'only `orchestrators` is needed to read a fleet; init writes lastUpdated as "" (FORMATS §1.5)',
  },
  "global-state.json $.orchestrators.*": {
    keys: [
      "id",
      "projectKey",
      "repository",
      "baseBranch",
      "status",
      "startedAt",
      "updatedAt",
      "lastHeartbeat",
      "worktreeDir",
      "stateFile",
      "progress",
      "workers",
      "attention",
    ],
    reason: PARTIAL_ENTRIES,
  },
  "global-state.json $.orchestrators.*.workers.*": {
    keys: ["ticketId", "title", "status", "phase", "updatedAt", "needsAttention"],
    reason: PARTIAL_ENTRIES,
  },
  "global-state.json $.orchestrators.*.progress": {
    keys: [
      "totalTickets",
      "completedTickets",
      "failedTickets",
      "inProgressTickets",
      "currentWave",
      "totalWaves",
    ],
    reason: "progress is maintained by `update` filters one counter at a time (FORMATS §3.3)",
  },

  "global-state.json $.orchestrators.*.attention[]": {
    keys: ["ticketId", "message", "since"],
    reason: "only `type` is needed to show an item; orchestrator-level items have no ticket",
  },

  "global-event.json $": {
    keys: ["orchestrator", "event"],
    reason:
      'session lines have no orchestrator and canonical lines carry the name in attributes["event.name"] (FORMATS §4.3, §4.7)',
  },
  "global-event.json $.detail.changes[]": {
    keys: ["ts", "worker", "from", "to"],
    reason: "detail is kept as opaque data; fuse reads the fields it needs defensively (FORMATS §4.5)",
  },
  "global-event.json $.detail.pr": {
    keys: ["number", "url"],
    reason: "detail is kept as opaque data (see above)",
  },
};

/** Anchor enums and the list of known values that must cover them (we keep values as open strings). */
const ENUM_COVERAGE: Record<string, readonly string[]> = {
  "worker-signal.json $.status": KNOWN_WORKER_STATUSES,
  "worker-signal.json $.pr.ciStatus": KNOWN_CI_STATUSES,
  "global-state.json $.orchestrators.*.status": KNOWN_ORCHESTRATOR_STATUSES,
  "global-state.json $.orchestrators.*.workers.*.status": KNOWN_WORKER_STATUSES,
  "global-state.json $.orchestrators.*.workers.*.pr.ciStatus": KNOWN_CI_STATUSES,
  "global-state.json $.orchestrators.*.attention[].type": KNOWN_ATTENTION_TYPES,
  "global-event.json $.event": KNOWN_EVENT_TYPES,
};

/** Anchor enums we keep as plain strings with no known list, and why. */
const OPEN_ENUMS: Record<string, string> = {
  "worker-signal.json $.lastReviveReason": "diagnostic text, shown verbatim",
  "worker-signal.json $.postMergeVerification.result": "passed through unchanged inside unknown keys",
};

function loadAnchor(version: string, file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(anchorDir, version, file), "utf8"));
}

describe.each(ANCHORS)("anchor %s agrees with ours", (version) => {
  it.each(Object.entries(PAIRS))("%s: required fields", (file, ourName) => {
    const anchor = collectFacts(loadAnchor(version, file));
    const mine = collectFacts(ours[ourName] as Record<string, unknown>);
    const unexplained: string[] = [];
    for (const [path, keys] of anchor.required) {
      const ourKeys = mine.required.get(path) ?? new Set<string>();
      const relaxed = RELAXED_REQUIRED[`${file} ${path}`];
      for (const key of keys) {
        if (ourKeys.has(key)) continue;
        if (relaxed?.keys.includes(key)) continue;
        unexplained.push(`${path}.${key}`);
      }
      // We never require a key the anchor leaves optional.
      for (const key of ourKeys) if (!keys.has(key)) unexplained.push(`${path}.${key} (ours only)`);
    }
    expect(unexplained, `required-field differences without a reason in ${file}`).toEqual([]);
  });

  it.each(Object.entries(PAIRS))("%s: enum values are known to us", (file) => {
    const anchor = collectFacts(loadAnchor(version, file));
    const problems: string[] = [];
    for (const [path, values] of anchor.enums) {
      const key = `${file} ${path}`;
      if (key in OPEN_ENUMS) continue;
      const known = ENUM_COVERAGE[key];
      if (!known) {
        problems.push(`${key}: no known-values list and no reason`);
        continue;
      }
      for (const v of values) if (!known.includes(v)) problems.push(`${key}: ${v}`);
    }
    expect(problems).toEqual([]);
  });
});

describe("the difference tables stay honest", () => {
  it("every relaxed key is required by at least one anchor and not by us", () => {
    for (const [key, { keys, reason }] of Object.entries(RELAXED_REQUIRED)) {
      expect(reason.length).toBeGreaterThan(10);
      const [file, path] = key.split(" ") as [keyof typeof PAIRS, string];
      const requiredSomewhere = new Set<string>();
      for (const version of ANCHORS) {
        for (const k of collectFacts(loadAnchor(version, file)).required.get(path) ?? [])
          requiredSomewhere.add(k);
      }
      const mine = collectFacts(ours[PAIRS[file]] as Record<string, unknown>).required.get(path) ?? new Set();
      for (const k of keys) {
        expect(requiredSomewhere.has(k), `${key}.${k} is not required by any anchor`).toBe(true);
        expect(mine.has(k), `${key}.${k} is required by us now; drop it from the table`).toBe(false);
      }
    }
  });

  it("every open enum exists in some anchor", () => {
    for (const key of Object.keys(OPEN_ENUMS)) {
      const [file, path] = key.split(" ") as [string, string];
      const found = ANCHORS.some((v) => collectFacts(loadAnchor(v, file)).enums.has(path));
      expect(found, key).toBe(true);
    }
  });
});
