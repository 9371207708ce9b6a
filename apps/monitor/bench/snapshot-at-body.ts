// Issue 25: how long the body of a `GET /api/snapshot?at=` answer holds the monitor's event loop at
// 9,600 workers (240 orchestrators of 40): one JSON.stringify of the answer (before) against
// sse-server's snapshotJsonStream read chunk by chunk, as the socket takes them. The longest turn
// is the largest gap between ticks of a 1 ms timer. Usage (from apps/monitor):
//   node --conditions=@catalyst/source --import tsx bench/snapshot-at-body.ts [--orchestrators 240] [--runs 5]
import type { Snapshot } from "@catalyst/schema";
import { snapshotJsonStream } from "@catalyst/sse-server";
import { fleetSnapshot, orchestratorView, workerView } from "@catalyst/test-utils";
import { loadNote, measureTurns } from "@catalyst/test-utils/bench";

const measureTurnsMs = async (work: () => Promise<unknown>): Promise<number> =>
  (await measureTurns(work)).turn;

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const ORCHS = arg("orchestrators", 240);
const RUNS = arg("runs", 5);
const WORKERS = 40;

const base = fleetSnapshot();
const answer: Snapshot & { at: string } = {
  ...base,
  orchestrators: Array.from({ length: ORCHS }, (_, o) =>
    orchestratorView(
      `orch-${o}`,
      Array.from({ length: WORKERS }, (_, w) => workerView(`orch-${o}`, `CTL-${o * WORKERS + w}`)),
    ),
  ),
  at: "2026-04-14T03:00:00.000Z",
};
const bytes = JSON.stringify(answer).length;
const rows: Record<string, number[]> = {
  "JSON.stringify (before)": [],
  "snapshotJsonStream, chunk by chunk": [],
};
for (let run = 0; run < RUNS; run++) {
  rows["JSON.stringify (before)"]!.push(
    await measureTurnsMs(async () => {
      JSON.stringify(answer);
    }),
  );
  rows["snapshotJsonStream, chunk by chunk"]!.push(
    await measureTurnsMs(async () => {
      for await (const chunk of snapshotJsonStream(answer) as unknown as AsyncIterable<Uint8Array>)
        void chunk;
    }),
  );
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
process.stdout.write(
  `${ORCHS * WORKERS} workers in ${ORCHS} orchestrators, answer ${(bytes / 1e6).toFixed(1)} MB of JSON; medians of ${RUNS} runs\n`,
);
process.stdout.write("| HTTP body | longest event-loop turn |\n|---|---|\n");
for (const [k, v] of Object.entries(rows)) process.stdout.write(`| ${k} | ${median(v).toFixed(0)} ms |\n`);
process.stdout.write(`${loadNote()}\n`);
