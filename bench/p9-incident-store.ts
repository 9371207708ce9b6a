// Issue 26: the cost of persisting the open incidents when one of them changes, at 400 incidents ×
// 20 members (the alerting runtime's store, only with notify channels set). Beside it, the same
// change written the way the store did before: every open incident rewritten whole (temp + fsync +
// rename). Each save is timed wall-clock (the fsync included); medians of `--changes` saves.
//
//   node --conditions=@catalyst/source --import tsx bench/p9-incident-store.ts [--incidents 400] [--members 20] [--changes 200]
// Prints only (the figures go into BENCHMARKS.md by hand, with the load).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createNotifier } from "../packages/notify/src/index.ts";
import {
  dead,
  deadFleet,
  HOLD,
  needs,
  T0,
  tickAll,
} from "../packages/notify-channels/src/dead-fleet.test-helper.ts";
import { createIncidentStore } from "../packages/notify-channels/src/index.ts";
import { loadNote, machine, median } from "./support.ts";

const argv = process.argv.slice(2);
const arg = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
};
const incidents = Number(arg("incidents", "400"));
const members = Number(arg("members", "20"));
const changes = Number(arg("changes", "200"));

const dir = await mkdtemp(join(tmpdir(), "p9-incident-store-"));
try {
  const notifier = createNotifier({ holdMs: HOLD, correlateMs: 24 * 3_600_000 });
  notifier.apply(needs(deadFleet(incidents, members)), T0);
  tickAll(notifier, T0 + HOLD);
  const journal = createIncidentStore(dir, "journal.json");
  const whole = createIncidentStore(dir, "whole.json");
  await journal.saveChanges(notifier.takeChanges(), () => notifier.openIncidents());
  await whole.save(notifier.openIncidents());
  const now = { at: T0 + HOLD };
  const journalMs: number[] = [];
  const wholeMs: number[] = [];
  for (let i = 0; i < changes; i++) {
    // One more worker joins an open incident: one incident changed.
    notifier.apply(needs([dead(`orch-${(i * 7) % incidents}`, `late-${i}`)]), now.at);
    now.at += HOLD;
    tickAll(notifier, now.at);
    let started = performance.now();
    await journal.saveChanges(notifier.takeChanges(), () => notifier.openIncidents());
    journalMs.push(performance.now() - started);
    started = performance.now();
    await whole.save(notifier.openIncidents());
    wholeMs.push(performance.now() - started);
  }
  const max = (xs: number[]) => Math.max(...xs);
  const s = journal.stats();
  console.log(machine());
  console.log(
    `incident store, ${incidents} incidents × ${members} members, ${changes} changes of one incident each:`,
  );
  console.log(
    `  changed incidents only (journal): median ${median(journalMs).toFixed(2)} ms, max ${max(journalMs).toFixed(2)} ms; incidents written ${s.appended} appended + ${s.rewritten} in ${s.rewrites} whole rewrites`,
  );
  console.log(
    `  every open incident (before):     median ${median(wholeMs).toFixed(2)} ms, max ${max(wholeMs).toFixed(2)} ms; incidents written ${incidents * (changes + 1)}`,
  );
  console.log(`  ${loadNote()}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
