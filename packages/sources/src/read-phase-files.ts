import { join } from "node:path";
import { type OrchestratorRef, type PhaseFileRead, parsePhaseSignalText } from "@catalyst/schema";
import { mapLimited, READ_CONCURRENCY } from "./map-limited.js";
import { unreadableResult } from "./read-signals.js";
import { errorCode, nodeFiles, type TextFiles } from "./text-files.js";

// Per-phase files, `<orch-dir>/workers/<TICKET>/phase-<phase>.json`: the execution-core pipeline
// (FORMATS-TODAY §3) and the per-phase overlays of orchestrate workers (§2.3) share the layout.

// The board reads only `^[A-Z]+-\d+$` dirs (§3.1); lower case and digits in the team key are
// accepted too. `workers/output/` and anything hidden never match (R2.2).
const TICKET_DIR = /^[A-Za-z][A-Za-z0-9]*-\d+$/;

// `phase-<name>.json` with a lower-case name (R3.5 plus remediate, recovery-pass). Skipped (R2.2):
// yield tombstones `phase-<p>-yield-<…>.json`, temp files (`*.tmp.<pid>`, `*.json.tmp`), claims,
// markers and artifacts such as `triage.json`, `verify.json`, `review.json`.
const PHASE_FILE = /^phase-([a-z][a-z0-9]*(?:-[a-z0-9]+)*)\.json$/;

/** True for a directory name under `workers/` that is a ticket's phase directory. */
export function isTicketDirName(name: string): boolean {
  return TICKET_DIR.test(name);
}

/** The phase a file name holds (`phase-plan.json` → `plan`), or null for any other file. */
export function phaseOfFileName(name: string): string | null {
  const match = PHASE_FILE.exec(name);
  if (!match) return null;
  const phase = match[1]!;
  return phase.includes("-yield-") || phase.endsWith("-yield") ? null : phase;
}

/** Parse one phase file's text into a read (pure). */
export function toPhaseRead(
  orchestrator: string,
  ticket: string,
  phase: string,
  file: string,
  text: string,
): PhaseFileRead {
  return { orchestrator, ticket, phase, file, result: parsePhaseSignalText(text, file) };
}

/**
 * Read every phase file of one ticket directory, in name order. A missing directory gives `[]`; a
 * file that vanishes between list and read is skipped; an unreadable one is a result naming it.
 */
export async function readTicketDir(
  orch: OrchestratorRef,
  ticket: string,
  files: TextFiles = nodeFiles,
): Promise<PhaseFileRead[]> {
  const dir = join(orch.path, "workers", ticket);
  let names: string[];
  try {
    names = await files.list(dir);
  } catch {
    return [];
  }
  const phases = names
    .map((name) => ({ name, phase: phaseOfFileName(name) }))
    .filter((p): p is { name: string; phase: string } => p.phase !== null)
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const reads = await mapLimited(phases, READ_CONCURRENCY, async ({ name, phase }) => {
    const file = join(dir, name);
    try {
      return toPhaseRead(orch.id, ticket, phase, file, await files.read(file));
    } catch (error) {
      const code = errorCode(error);
      if (code === "ENOENT" || code === "EISDIR") return null;
      return {
        orchestrator: orch.id,
        ticket,
        phase,
        file,
        result: unreadableResult(file, error),
      } as PhaseFileRead;
    }
  });
  return reads.filter((r): r is PhaseFileRead => r !== null);
}

/** The ticket directory names under an orchestrator's `workers/`, sorted. */
export async function listTicketDirs(orch: OrchestratorRef, files: TextFiles = nodeFiles): Promise<string[]> {
  try {
    return (await files.list(join(orch.path, "workers"))).filter(isTicketDirName).sort();
  } catch {
    return [];
  }
}

/** Read every ticket directory's phase files of one orchestrator (execution-core, or overlays). */
export async function readPhaseDirs(
  orch: OrchestratorRef,
  files: TextFiles = nodeFiles,
): Promise<PhaseFileRead[]> {
  const tickets = await listTicketDirs(orch, files);
  const perTicket = await mapLimited(tickets, 4, (ticket) => readTicketDir(orch, ticket, files));
  return perTicket.flat();
}
