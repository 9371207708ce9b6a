// Reads the P1–P4 figures back out of the sections the package benches wrote into BENCHMARKS.md,
// so the summary table shows every P-figure of the same `pnpm bench` run next to P5 and P6.

/** The rows of every Markdown table in `text`, each row as trimmed cells. */
export function tablesOf(text: string): string[][][] {
  const tables: string[][][] = [];
  let current: string[][] | null = null;
  for (const line of text.split("\n")) {
    if (!line.startsWith("|")) {
      current = null;
      continue;
    }
    const cells = line
      .slice(1, line.endsWith("|") ? -1 : undefined)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim());
    if (cells.every((c) => /^:?-+:?$/.test(c))) continue;
    if (current === null) {
      current = [];
      tables.push(current);
    }
    current.push(cells);
  }
  return tables;
}

/** The body of `## <heading…>` (the first heading that starts with `prefix`), or null. */
export function sectionOf(doc: string, prefix: string): string | null {
  const start = doc.indexOf(`\n## ${prefix}`);
  if (start === -1) return null;
  const next = doc.indexOf("\n## ", start + 4);
  return doc.slice(start, next === -1 ? undefined : next);
}

/** "305 ms" → 305, "27.4 s" → 27400, "1708" → 1708 (ms), "–" → NaN. */
export function durationMs(cell: string | undefined): number {
  const m = /([\d.,]+)\s*(ms|s)?\b/.exec(cell ?? "");
  if (!m) return Number.NaN;
  const n = Number(m[1]!.replaceAll(",", ""));
  return m[2] === "s" ? n * 1000 : n;
}

/** The first number in a cell ("99 MB" → 99, "149" → 149). */
export function numberOf(cell: string | undefined): number {
  const m = /([\d.,]+)/.exec(cell ?? "");
  return m ? Number(m[1]!.replaceAll(",", "")) : Number.NaN;
}

/** One line of the summary table. */
export interface Figure {
  p: string;
  what: string;
  goal: string;
  value: string;
  baseline: string;
  ratio: string;
  met: "yes" | "no" | "n/a";
  note: string;
}

const ratio = (a: number, b: number) =>
  Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(1)}×` : "–";
const f = (n: number, unit = "ms"): string =>
  Number.isNaN(n)
    ? "–"
    : unit === "ms" && n >= 1000
      ? `${(n / 1000).toFixed(1)} s`
      : `${n < 10 ? n.toFixed(1) : n.toFixed(0)} ${unit}`;

const findRow = (table: string[][] | undefined, first: string) => table?.find((r) => r[0]?.startsWith(first));

/** P1–P3 from the monitor section. */
export function monitorFigures(doc: string): Figure[] {
  const section = sectionOf(doc, "Monitor: write → SSE");
  const missing = (p: string, what: string, goal: string): Figure => ({
    p,
    what,
    goal,
    value: "–",
    baseline: "–",
    ratio: "–",
    met: "n/a",
    note: "no figure found in the monitor section",
  });
  if (section === null)
    return [
      missing("P1", "signal write → SSE frame", "p50 < 10 ms, p99 < 50 ms, 0 lost"),
      missing("P2", "log append → SSE frame", "p99 < 50 ms"),
      missing("P3", "1,000 clients at 50 events/s", "p99 < 100 ms, RSS < 150 MB"),
    ];
  const [t1, t2, t3] = tablesOf(section);
  const out: Figure[] = [];
  {
    const m = findRow(t1, "catalyst-monitor");
    const b = findRow(t1, "raw baseline");
    const [p50, p99, missed] = [durationMs(m?.[1]), durationMs(m?.[3]), numberOf(m?.[6])];
    out.push({
      p: "P1",
      what: "signal write → SSE frame (100 × 20 workers, 200 writes/s bursts)",
      goal: "p50 < 10 ms, p99 < 50 ms, 0 lost",
      value: `p50 ${f(p50)}, p99 ${f(p99)}, ${missed} lost`,
      baseline: `p50 ${f(durationMs(b?.[1]))}, p99 ${f(durationMs(b?.[3]))}`,
      ratio: `p50 ${ratio(p50, durationMs(b?.[1]))}, p99 ${ratio(p99, durationMs(b?.[3]))}`,
      met: p50 < 10 && p99 < 50 && missed === 0 ? "yes" : "no",
      note: "",
    });
  }
  {
    const m = findRow(t2, "catalyst-monitor");
    const b = findRow(t2, "raw baseline");
    const p99 = durationMs(m?.[3]);
    out.push({
      p: "P2",
      what: "event-log append → SSE frame",
      goal: "p99 < 50 ms",
      value: `p50 ${f(durationMs(m?.[1]))}, p99 ${f(p99)}, ${numberOf(m?.[6])} lost`,
      baseline: `p50 ${f(durationMs(b?.[1]))}, p99 ${f(durationMs(b?.[3]))}`,
      ratio: `p99 ${ratio(p99, durationMs(b?.[3]))}`,
      met: p99 < 50 && numberOf(m?.[6]) === 0 ? "yes" : "no",
      note: "",
    });
  }
  {
    const m = findRow(t3, "catalyst-monitor");
    const b = findRow(t3, "raw baseline");
    const [p99, rate, rss] = [durationMs(m?.[2]), numberOf(m?.[4]), numberOf(m?.[6])];
    const rssMB = (rss * 2 ** 20) / 1e6;
    out.push({
      p: "P3",
      what: "fan-out, 1,000 SSE clients at 50 events/s",
      goal: "p99 < 100 ms, RSS < 150 MB",
      value: `p50 ${f(durationMs(m?.[1]))}, p99 ${f(p99)}, ${rate} events/s delivered, RSS ${f(rssMB, "MB")}`,
      baseline: `p99 ${f(durationMs(b?.[2]))}, ${numberOf(b?.[4])} events/s, RSS ${f((numberOf(b?.[6]) * 2 ** 20) / 1e6, "MB")}`,
      ratio: `p99 ${ratio(p99, durationMs(b?.[2]))}, RSS ${ratio(rss, numberOf(b?.[6]))}`,
      met: p99 < 100 && rssMB < 150 ? "yes" : "no",
      note: [
        p99 < 100
          ? ""
          : `p99 over the bar; the baseline's p99 is ${f(durationMs(b?.[2]))} on the same box (idle clients in 4 processes of their own)`,
        rssMB < 150
          ? ""
          : "RSS over the bar: 1,000 open responses with their queues in the server process, against the baseline's bare sockets",
      ]
        .filter((x) => x !== "")
        .join("; "),
    });
  }
  return out;
}

/** The P7 table read back into its rows (server, workers and the figures the goals use). */
export function scaleRows(doc: string): Array<{
  workers: number;
  server: "monitor" | "floor";
  coldStartMs: number;
  p99: number;
  lost: number;
  rssMB: number;
}> {
  const section = sectionOf(doc, "System P7:");
  if (section === null) return [];
  const [table] = tablesOf(section);
  return (table ?? [])
    .filter((r) => r[1] === "monitor" || r[1] === "floor")
    .map((r) => ({
      workers: numberOf(r[0]),
      server: r[1] as "monitor" | "floor",
      coldStartMs: numberOf(r[2]),
      p99: numberOf(r[6]),
      lost: numberOf(r[9]),
      rssMB: numberOf(r[10]),
    }));
}

/** P4 from the replay section: the selective `--since` query against awk. */
export function replayFigures(doc: string): Figure[] {
  const section = sectionOf(doc, "Replay:");
  const table = section === null ? undefined : tablesOf(section)[0];
  const rows = table?.filter((r) => r[0]?.startsWith("last day")) ?? [];
  const replay = rows.find((r) => r[1]?.startsWith("catalyst-replay"));
  const awk = rows.find((r) => r[1]?.includes("awk"));
  const full = table?.find((r) => r[0]?.startsWith("full scan") && r[1]?.startsWith("catalyst-replay"));
  const fullAwk = table?.find((r) => r[0]?.startsWith("full scan") && r[1]?.includes("awk"));
  const size = /Log: ([\d.]+ [MG]B)/.exec(section ?? "")?.[1] ?? "?";
  const [first, total, rss] = [durationMs(replay?.[2]), durationMs(replay?.[3]), numberOf(replay?.[4])];
  return [
    {
      p: "P4",
      what: `replay \`--since\` (last day of a ${size} log)`,
      goal: "first line < 50 ms, total ≤ awk, RSS < 100 MB",
      value: `first line ${f(first)}, total ${f(total)}, RSS ${f(rss, "MB")}`,
      baseline: `awk: first ${f(durationMs(awk?.[2]))}, total ${f(durationMs(awk?.[3]))}`,
      ratio: `total ${ratio(total, durationMs(awk?.[3]))} of awk`,
      met: first < 50 && total <= durationMs(awk?.[3]) && rss < 100 ? "yes" : "no",
      note: [
        first < 50
          ? ""
          : "first line over 50 ms: Node start-up and loading the bundle set the floor (the replay section's floor row)",
        total <= durationMs(awk?.[3]) ? "" : "total above awk's",
        rss < 100 ? "" : "RSS over 100 MB",
      ]
        .filter((x) => x !== "")
        .join("; "),
    },
    {
      p: "P4",
      what: "replay, full scan (`--since` before the first line)",
      goal: "total ≤ awk",
      value: `total ${f(durationMs(full?.[3]))}, RSS ${f(numberOf(full?.[4]), "MB")}`,
      baseline: `awk total ${f(durationMs(fullAwk?.[3]))}`,
      ratio: `${ratio(durationMs(full?.[3]), durationMs(fullAwk?.[3]))} of awk`,
      met: durationMs(full?.[3]) <= durationMs(fullAwk?.[3]) ? "yes" : "no",
      note: "per-line JSON.parse + validation in `readEvents`; see the replay section's notes",
    },
  ];
}

/** The summary table in Markdown. */
export function summaryTable(figures: Figure[]): string {
  return [
    "| P | what | goal | this run | baseline, same run | ratio | goal met |",
    "|---|---|---|---|---|---|---|",
    ...figures.map(
      (x) =>
        `| ${x.p} | ${x.what} | ${x.goal} | ${x.value} | ${x.baseline} | ${x.ratio} | ${x.met === "yes" ? "**yes**" : x.met === "no" ? "**no**" : "n/a"}${x.note ? ` (${x.note})` : ""} |`,
    ),
  ].join("\n");
}
