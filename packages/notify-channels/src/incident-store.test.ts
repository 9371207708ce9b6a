import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createNotifier, type Notifier, type PersistedIncident } from "@catalyst/notify";
import type { NeedsYouItem, Snapshot } from "@catalyst/schema";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { dead, deadFleet, HOLD, needs, T0, tickAll } from "./dead-fleet.test-helper.js";
import { createIncidentStore, type IncidentStore } from "./index.js";

// The incident store's cost follows the change (issue 26): counted in incidents written, not timed.
// Real files in a temp dir; the pure notifier driven with an explicit clock.

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "incident-store-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const save = (store: IncidentStore, notifier: Notifier) =>
  store.saveChanges(notifier.takeChanges(), () => notifier.openIncidents());

const byKey = (list: { incident: string }[]) =>
  [...list].sort((a, b) => a.incident.localeCompare(b.incident));

/** `orchestrators` incidents of `members` dead workers each, open at T0 + HOLD. */
function openFleet(orchestrators: number, members: number): { notifier: Notifier; rows: NeedsYouItem[] } {
  const notifier = createNotifier({ holdMs: HOLD, correlateMs: 3_600_000 });
  const rows = deadFleet(orchestrators, members);
  notifier.apply(needs(rows), T0);
  expect(tickAll(notifier, T0 + HOLD)).toBe(orchestrators);
  return { notifier, rows };
}

/** Three incidents written whole, then one change (orch-0 gains a member) appended to the journal. */
async function oneAppended(): Promise<{ store: IncidentStore; notifier: Notifier }> {
  const store = createIncidentStore(dir);
  const { notifier } = openFleet(3, 2);
  await save(store, notifier);
  notifier.apply(needs([dead("orch-0", "W9")]), T0 + HOLD);
  tickAll(notifier, T0 + 2 * HOLD);
  await save(store, notifier);
  expect(store.stats().appended).toBe(1);
  return { store, notifier };
}

describe("incident store", () => {
  it("writes only the incidents that changed: 50 changes among 400 incidents × 20 members", async () => {
    const store = createIncidentStore(dir);
    const { notifier, rows } = openFleet(400, 20);
    await save(store, notifier);
    expect(store.stats()).toEqual({ appended: 0, rewritten: 400, rewrites: 1 });

    // One more worker of one orchestrator at a time joins its open incident (counted, not sent).
    let now = T0 + HOLD;
    for (let i = 0; i < 50; i++) {
      const row = dead(`orch-${i * 7}`, "W-late");
      rows.push(row);
      notifier.apply(needs([row]), now);
      now += HOLD;
      expect(tickAll(notifier, now)).toBe(0);
      await save(store, notifier);
    }
    // Rewriting every open incident on each change would be 400 × 51 = 20,400 incidents.
    expect(store.stats()).toEqual({ appended: 50, rewritten: 400, rewrites: 1 });
    const file = (await stat(store.path)).size;
    const journal = await stat(store.journalPath);
    expect(journal.size).toBeLessThanOrEqual(Math.max(file, 64 * 1024));
    expect(journal.mode & 0o777).toBe(0o600);

    // A restart reads the file and the journal: the same incidents, and nothing is sent again.
    const again = createIncidentStore(dir);
    const loaded = await again.load();
    expect(loaded.problem).toBeNull();
    expect(byKey(loaded.incidents)).toEqual(byKey(notifier.openIncidents()));
    const second = createNotifier({ holdMs: HOLD });
    second.restore(loaded.incidents, now);
    const snapshot: Snapshot = { generatedAt: "", orchestrators: [], needsYou: rows, sourceErrors: [] };
    expect(second.seed(snapshot, now)).toEqual([]);
    expect(tickAll(second, now + 3_600_000)).toBe(0);
    expect(second.stats()).toMatchObject({ openIncidents: 400, alertsSent: 0 });
  });

  it("folds the journal into the file before it outgrows it, and closed incidents stay closed", async () => {
    const store = createIncidentStore(dir);
    const { notifier } = openFleet(10, 100);
    await save(store, notifier);
    let now = T0 + HOLD;
    for (let i = 0; i < 60; i++) {
      notifier.apply(needs([dead(`orch-${i % 10}`, `late-${i}`)]), now);
      now += HOLD;
      tickAll(notifier, now);
      await save(store, notifier);
      const journal = await stat(store.journalPath).then(
        (s) => s.size,
        () => 0,
      );
      expect(journal).toBeLessThanOrEqual(Math.max((await stat(store.path)).size, 64 * 1024));
    }
    const { appended, rewritten, rewrites } = store.stats();
    expect(appended + rewritten - 10).toBeGreaterThanOrEqual(60);
    expect(rewrites).toBeGreaterThan(1);
    // Amortised: the whole-file rewrites write no more incidents than the appends between them.
    expect(rewritten).toBeLessThanOrEqual(appended);

    // Two orchestrators' workers come back: their incidents close after the clear hold.
    const back: NeedsYouItem[] = [];
    for (let w = 0; w < 100; w++) back.push(dead("orch-0", `W${w}`), dead("orch-1", `W${w}`));
    for (let i = 0; i < 60; i++) if (i % 10 < 2) back.push(dead(`orch-${i % 10}`, `late-${i}`));
    notifier.apply(needs([], back), now);
    now += 3_600_000;
    tickAll(notifier, now);
    await save(store, notifier);
    const loaded = await createIncidentStore(dir).load();
    expect(loaded.problem).toBeNull();
    expect(loaded.incidents).toHaveLength(8);
    expect(byKey(loaded.incidents)).toEqual(byKey(notifier.openIncidents()));
  });

  it("skips a torn last journal line, says so, and rewrites the whole file on the next save", async () => {
    const { store, notifier } = await oneAppended();
    await appendFile(store.journalPath, '{"put":{"incident":"dead|orch');

    const again = createIncidentStore(dir);
    const loaded = await again.load();
    expect(loaded.problem).toBe(`${again.journalPath}: 1 unreadable lines skipped`);
    expect(byKey(loaded.incidents)).toEqual(byKey(notifier.openIncidents()));
    await again.saveChanges({ put: [], removed: [] }, () => loaded.incidents);
    expect(again.stats()).toEqual({ appended: 0, rewritten: 3, rewrites: 1 });
    await expect(stat(again.journalPath)).rejects.toThrow();
    expect((await createIncidentStore(dir).load()).problem).toBeNull();
  });

  it("reads what an earlier version wrote: a file without an outbox and a journal of one incident per line", async () => {
    const { notifier } = openFleet(2, 1);
    const [a, b] = byKey(notifier.openIncidents()) as [PersistedIncident, PersistedIncident];
    const store = createIncidentStore(dir);
    await writeFile(store.path, JSON.stringify({ version: 1, journal: "j1", incidents: [a] }));
    const lines = [
      { journal: "j1", put: b },
      { journal: "j1", removed: a.incident },
    ];
    await writeFile(store.journalPath, lines.map((l) => `${JSON.stringify(l)}\n`).join(""));
    const loaded = await store.load();
    expect(loaded).toEqual({ incidents: [b], outbox: [], problem: null });
  });

  it("ignores a journal left beside a newer file by a crash between the rewrite and its removal", async () => {
    const { store, notifier } = await oneAppended();
    const oldJournal = await readFile(store.journalPath, "utf8");

    // orch-0's workers come back: its incident closes; the state is then written whole.
    const back = [dead("orch-0", "W0"), dead("orch-0", "W1"), dead("orch-0", "W9")];
    notifier.apply(needs([], back), T0 + 3 * HOLD);
    tickAll(notifier, T0 + 3 * HOLD + 3_600_000);
    notifier.takeChanges();
    await store.save(notifier.openIncidents());
    expect(notifier.openIncidents()).toHaveLength(2);
    // The crash: the old journal is still there (its removal never happened).
    await writeFile(store.journalPath, oldJournal);

    const loaded = await createIncidentStore(dir).load();
    expect(loaded.problem).toBeNull();
    expect(byKey(loaded.incidents)).toEqual(byKey(notifier.openIncidents()));
  });
});
