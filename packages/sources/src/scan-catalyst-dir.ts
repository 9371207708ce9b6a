import type { SourceChange } from "@catalyst/schema";
import { discoverOrchestrators } from "./discover-orchestrators.js";
import { statBriefings } from "./read-briefings.js";
import { readPhaseDirs } from "./read-phase-files.js";
import { readSignalDir } from "./read-signals.js";
import { readGlobalState, readLocalState } from "./read-state.js";
import { nodeFiles, type TextFiles } from "./text-files.js";

/**
 * Read everything but the event log once, as changes: the global state, then per orchestrator an
 * `orchestrator-added`, its local state and its signal files.
 */
export async function scanCatalystDir(
  catalystDir: string,
  files: TextFiles = nodeFiles,
): Promise<SourceChange[]> {
  const [orchs, global] = await Promise.all([
    discoverOrchestrators(catalystDir),
    readGlobalState(catalystDir, files),
  ]);
  const out: SourceChange[] = [];
  if (global) out.push({ kind: "global-state", ...global });
  const perOrch = await Promise.all(
    orchs.map(async (orch) => ({
      orch,
      local: await readLocalState(orch, files),
      signals: await readSignalDir(orch, files),
      phases: await readPhaseDirs(orch, files),
      briefings: await statBriefings(orch),
    })),
  );
  for (const { orch, local, signals, phases, briefings } of perOrch) {
    out.push({ kind: "orchestrator-added", orchestrator: orch });
    if (local) out.push({ kind: "local-state", ...local });
    for (const s of signals) out.push({ kind: "signal", ...s });
    for (const p of phases) out.push({ kind: "phase-signal", ...p });
    for (const b of briefings) out.push({ kind: "briefing", ...b });
  }
  return out;
}
