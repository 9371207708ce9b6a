// A fleet of plain FuseInputs for the metrics tests: real parsers from @catalyst/schema.
import { type FuseInput, parseSignalText } from "@catalyst/schema";

export const NOW = new Date("2026-04-14T19:22:00.000Z");
const DIR = "/tmp/catalyst-metrics-test";

export function orchestratorAdded(id: string): FuseInput {
  return {
    kind: "orchestrator-added",
    orchestrator: { id, workspace: "ctl", path: `${DIR}/wt/ctl/${id}`, source: "wt" },
  };
}

/** A signal file of an in-flight worker, with the fields given. */
export function signal(orchestrator: string, ticket: string, extra: Record<string, unknown> = {}): FuseInput {
  const file = `${DIR}/wt/ctl/${orchestrator}/workers/${ticket}.json`;
  const fields = {
    ticket,
    orchestrator,
    workerName: `${orchestrator}-${ticket}`,
    status: "implementing",
    phase: 3,
    startedAt: "2026-04-14T18:37:53Z",
    updatedAt: "2026-04-14T19:20:00Z",
    pid: 63744,
    pr: null,
    ...extra,
  };
  return {
    kind: "signal",
    orchestrator,
    key: ticket,
    file,
    result: parseSignalText(JSON.stringify(fields), file),
  };
}

export function tornSignal(orchestrator: string, ticket: string): FuseInput {
  const file = `${DIR}/wt/ctl/${orchestrator}/workers/${ticket}.json`;
  return { kind: "signal", orchestrator, key: ticket, file, result: parseSignalText('{"ticket": "CT', file) };
}

export function signalRemoved(orchestrator: string, ticket: string): FuseInput {
  return {
    kind: "signal-removed",
    orchestrator,
    key: ticket,
    file: `${DIR}/wt/ctl/${orchestrator}/workers/${ticket}.json`,
  };
}

/** `orchestrators × perOrchestrator` workers, each costing `costOf(o, w)` USD. */
export function fleetInputs(
  orchestrators: number,
  perOrchestrator: number,
  costOf: (o: number, w: number) => number = (o, w) => 0.01 * (o + 1) + 0.001 * w,
): FuseInput[] {
  const out: FuseInput[] = [];
  for (let o = 0; o < orchestrators; o++) {
    const id = `orch-${o}`;
    out.push(orchestratorAdded(id));
    for (let w = 0; w < perOrchestrator; w++)
      out.push(
        signal(id, `T-${o}-${w}`, {
          status: ["implementing", "validating", "done", "failed"][w % 4],
          phase: [3, 4, 6, 3][w % 4],
          cost: { costUSD: costOf(o, w), inputTokens: 100 + w, outputTokens: 10, cacheReadTokens: 5 },
          ...(w % 3 === 0
            ? {
                pr: {
                  number: 1000 + w,
                  url: `https://github.com/acme/api/pull/${1000 + w}`,
                  ciStatus: ["pending", "passing", "failing"][w % 9 === 0 ? 0 : 1],
                },
              }
            : {}),
        }),
      );
  }
  return out;
}
