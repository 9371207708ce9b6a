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

/**
 * P4 from the replay section: its goals table (one row per goal of the replay issue: first line,
 * late `--since`, full scan against awk and cat, peak RSS, the 64 MB heap run, `--snapshot`, bytes
 * identical to awk), each stated met or missed by the replay bench itself.
 */
export function replayFigures(doc: string): Figure[] {
  const section = sectionOf(doc, "Replay:");
  if (section === null) return [];
  const goals = tablesOf(section).find((t) => t[0]?.[0] === "goal") ?? [];
  const size = /Log: ([\d.]+ [MG]B), [\d,]+ lines in (\d+) monthly files/.exec(section);
  const what = size ? `replay, ${size[1]} log in ${size[2]} monthly files` : "replay";
  return goals.slice(1).map((row) => {
    const [goal = "", value = "", baseline = "", verdict = ""] = row;
    const ours = durationMs(value);
    const theirs = durationMs(baseline);
    return {
      p: "P4",
      what,
      goal,
      value,
      baseline: baseline === "—" ? "" : baseline,
      ratio:
        Number.isFinite(ours) && Number.isFinite(theirs) && /ms|s\b/.test(baseline)
          ? ratio(ours, theirs)
          : "",
      met: verdict.includes("missed") ? "no" : verdict.includes("met") ? "yes" : "n/a",
      note: "",
    };
  });
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
