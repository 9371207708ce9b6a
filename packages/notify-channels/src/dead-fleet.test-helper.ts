import type { Notifier } from "@catalyst/notify";
import type { Delta, NeedsYouItem } from "@catalyst/schema";

// Shared by incident-store.test and bench/p9-incident-store: dead workers as needs-you rows, fed
// to the pure notifier with an explicit clock, and every due timer handled.

export const T0 = Date.parse("2026-12-07T09:00:00Z");
export const HOLD = 1000;

/** A dead worker's needs-you row. */
export const dead = (orchestrator: string, worker: string): NeedsYouItem => ({
  orchestrator,
  worker,
  reason: "dead",
  message: "pid gone",
  since: null,
});

/** `members` dead workers of each of `orchestrators` orchestrators (`orch-<o>`, `W<w>`). */
export function deadFleet(orchestrators: number, members: number): NeedsYouItem[] {
  const rows: NeedsYouItem[] = [];
  for (let o = 0; o < orchestrators; o++)
    for (let w = 0; w < members; w++) rows.push(dead(`orch-${o}`, `W${w}`));
  return rows;
}

let deltaId = 0;
/** One needs-you delta at T0. */
export const needs = (added: NeedsYouItem[], removed: NeedsYouItem[] = []): Delta[] => {
  deltaId += 1;
  return [
    {
      id: deltaId,
      event: "needs-you",
      data: { ts: new Date(T0).toISOString(), added, changed: [], removed },
    },
  ];
};

/** Every due timer handled at `now` (ticks are bounded); the alerts they made. */
export function tickAll(notifier: Notifier, now: number): number {
  let alerts = 0;
  for (let next = notifier.nextDeadline(); next !== null && next <= now; next = notifier.nextDeadline())
    alerts += notifier.tick(now).length;
  return alerts;
}
