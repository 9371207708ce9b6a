import { z } from "zod";
import { AttentionItem } from "./global-state.js";
import { OptionalTimestamp } from "./timestamp.js";

/** A wave in the orchestrator-local state (FORMATS §3.6). `status` is an open string. */
export const Wave = z.looseObject({
  wave: z.number().int(),
  status: z.string().optional(),
  tickets: z.array(z.string()).optional(),
  completedAt: OptionalTimestamp,
  dependsOn: z.array(z.number().int()).optional(),
});
export type Wave = z.infer<typeof Wave>;

/**
 * `<orch-dir>/state.json`, written by the LLM orchestrator with no fixed mechanism, so the shape is
 * loose (FORMATS §3.6). Only object elements of `waves` are meaningful; readers drop the rest.
 */
export const LocalState = z.looseObject({
  id: z.string().optional(),
  orchestrator: z.string().optional(),
  startedAt: OptionalTimestamp,
  baseBranch: z.string().optional(),
  totalTickets: z.number().int().optional(),
  totalWaves: z.number().int().optional(),
  currentWave: z.number().int().optional(),
  worktreeBase: z.string().optional(),
  waves: z.array(z.unknown()).optional(),
  attention: z.array(AttentionItem).nullable().optional(),
  workers: z.unknown().optional(),
});
export type LocalState = z.infer<typeof LocalState>;

/** The valid wave objects of a local state, in file order. */
export function localWaves(state: LocalState): Wave[] {
  const out: Wave[] = [];
  for (const raw of state.waves ?? []) {
    const res = Wave.safeParse(raw);
    if (res.success) out.push(res.data);
  }
  return out;
}
