/** @jsxRuntime automatic */
/** @jsxImportSource react */
// The screen. Thin: the rows, windows, counts and cells come from view-model.ts; this file lays
// them out and maps keys to view state.
import { Box, Text, useApp, useInput, useStdout } from "ink";
import { useEffect, useMemo, useRef, useState } from "react";
import type { EventLineView, FleetSource, SourceState } from "./fleet-source.js";
import type { LiveView } from "./live-view.js";
import {
  age,
  aliveCell,
  clamp,
  countFleet,
  countsLine,
  fit,
  formatHeaderRow,
  formatWorkerRow,
  hostColumnWidth,
  hostNameText,
  hostParts,
  NO_VIEW_FILTER,
  nextHost,
  orchestratorLine,
  orchestratorList,
  phaseBar,
  prCell,
  skippedPartText,
  spendLine,
  type ViewFilter,
  type WorkerRow,
  windowRows,
  workerRows,
} from "./view-model.js";

export interface TopAppProps {
  view: LiveView;
  /** With a `store`, the header also shows spend today and the burn rate (the store's `spent`). */
  source: Pick<FleetSource, "label" | "state" | "onState" | "recentEvents"> &
    Partial<Pick<FleetSource, "alerts">> & { store?: Pick<FleetSource["store"], "spent"> };
  /** False with NO_COLOR: everything in the terminal's own colour. */
  color: boolean;
  now?: () => number;
}

type Mode = "table" | "filter" | "pick" | "help" | "detail";

function stateText(s: SourceState, nowMs: number): string {
  switch (s.state) {
    case "connecting":
      return "connecting…";
    case "live":
      return s.resumed ? "live (resumed)" : "live";
    case "reconnecting":
      return `reconnecting (${s.reason}), retry ${Math.max(0, Math.ceil((s.retryAt - nowMs) / 1000))}s`;
    case "embedded":
      return s.loading ? "in-process, loading…" : "in-process";
    case "historical":
      return `viewing ${s.at} (the past, not live)`;
  }
}

function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const [size, setSize] = useState(() => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 }));
  useEffect(() => {
    const onResize = () => setSize({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
    stdout.on("resize", onResize);
    return () => {
      stdout.off("resize", onResize);
    };
  }, [stdout]);
  return size;
}

/** The whole catalyst-top screen. */
export function TopApp({ view, source, color, now = Date.now }: TopAppProps) {
  const { exit } = useApp();
  const { columns, rows } = useTerminalSize();
  const [, setVersion] = useState(0);
  const [, setConn] = useState(0);
  const [mode, setModeState] = useState<Mode>("table");
  // Keys can arrive faster than React re-renders (fast typing, a paste, a loaded machine): the
  // handler reads the mode from a ref so "/" followed at once by text goes into the filter.
  const modeRef = useRef<Mode>("table");
  const setMode = (next: Mode) => {
    modeRef.current = next;
    setModeState(next);
  };
  const [filter, setFilter] = useState<ViewFilter>(NO_VIEW_FILTER);
  // The selection too: Enter right after a move (same read, or before React re-subscribed the key
  // handler) must open the row the cursor is on now, not the one of the last render.
  const [selected, setSelectedState] = useState(0);
  const selectedRef = useRef(0);
  const setSelected = (next: number | ((s: number) => number)) => {
    const value = typeof next === "function" ? next(selectedRef.current) : next;
    selectedRef.current = value;
    setSelectedState(value);
  };
  const [pickIndex, setPickIndex] = useState(0);
  const [detail, setDetail] = useState<{
    row: WorkerRow;
    events: EventLineView[] | null;
    error: string | null;
  } | null>(null);

  useEffect(() => view.subscribe(() => setVersion((v) => v + 1)), [view]);
  useEffect(() => source.onState(() => setConn((v) => v + 1)), [source]);
  // Ages and the retry countdown move on without any delta: one redraw a second.
  useEffect(() => {
    const timer = setInterval(() => setConn((v) => v + 1), 1000);
    return () => clearInterval(timer);
  }, []);

  const state = view.current();
  const snapshot = state.snapshot;
  const workerList = useMemo(
    () => (snapshot === null ? [] : workerRows(snapshot, filter)),
    [snapshot, filter],
  );
  const orchestrators = snapshot?.orchestrators ?? [];
  const c = (name: string): string | undefined => (color ? name : undefined);
  const nowMs = now();

  // A monitor that fuses several machines: a HOST column, the hosts line and the `h` key.
  const hostWidth = hostColumnWidth(snapshot);
  const hosts = hostParts(snapshot, nowMs);
  const budget = Math.max(10, rows - 1) - (hosts === null ? 0 : 1);
  const big = budget >= 30;
  const needsYou = snapshot?.needsYou ?? [];
  const nyShown = Math.min(needsYou.length, big ? 5 : 3);
  const orchShown = snapshot === null ? 0 : Math.min(orchestratorList(snapshot, filter).length, big ? 5 : 3);
  const eventsShown = big ? 5 : 3;
  const tableRows = Math.max(
    3,
    budget - 2 - (1 + Math.max(nyShown, 0)) - orchShown - 1 - (1 + eventsShown) - 1,
  );
  const sel = clamp(selected, 0, Math.max(0, workerList.length - 1));

  const openDetail = (row: WorkerRow) => {
    setDetail({ row, events: null, error: null });
    setMode("detail");
    source.recentEvents(row.orchestrator, row.worker.ticket).then(
      (events) => setDetail((d) => (d?.row.key === row.key ? { ...d, events } : d)),
      (error: unknown) => setDetail((d) => (d?.row.key === row.key ? { ...d, error: String(error) } : d)),
    );
  };

  const onKey = (input: string, key: Parameters<Parameters<typeof useInput>[0]>[1]) => {
    const mode = modeRef.current;
    if (mode === "filter") {
      if (key.return) setMode("table");
      else if (key.escape) {
        setFilter((f) => ({ ...f, text: "" }));
        setMode("table");
      } else if (key.backspace || key.delete) setFilter((f) => ({ ...f, text: f.text.slice(0, -1) }));
      else if (input && !key.ctrl && !key.meta) {
        // Printable text only: a control character in the filter would garble the screen.
        const text = [...input].filter((ch) => ch >= " " && ch !== "\x7f").join("");
        if (text !== "") setFilter((f) => ({ ...f, text: f.text + text }));
      }
      setSelected(0);
      return;
    }
    if (mode === "pick") {
      const n = orchestrators.length + 1;
      if (key.upArrow || input === "k") setPickIndex((i) => (i + n - 1) % n);
      else if (key.downArrow || input === "j") setPickIndex((i) => (i + 1) % n);
      else if (key.return) {
        setFilter((f) => ({
          ...f,
          orchestrator: pickIndex === 0 ? null : (orchestrators[pickIndex - 1]?.id ?? null),
        }));
        setSelected(0);
        setMode("table");
      } else if (key.escape || input === "o") setMode("table");
      else if (input === "q") exit();
      return;
    }
    if (input === "q") {
      exit();
      return;
    }
    if (mode === "help" || mode === "detail") {
      if (key.escape || input === "?" || key.return || key.backspace || input === "h") {
        setMode("table");
        setDetail(null);
      }
      return;
    }
    const last = Math.max(0, workerList.length - 1);
    if (key.upArrow || input === "k") setSelected((s) => clamp(s - 1, 0, last));
    else if (key.downArrow || input === "j") setSelected((s) => clamp(s + 1, 0, last));
    else if (key.pageUp) setSelected((s) => clamp(s - tableRows, 0, last));
    else if (key.pageDown) setSelected((s) => clamp(s + tableRows, 0, last));
    else if (input === "g") setSelected(0);
    else if (input === "G") setSelected(Math.max(0, workerList.length - 1));
    else if (key.return) {
      const row = workerList[clamp(selectedRef.current, 0, last)];
      if (row) openDetail(row);
    } else if (input === "/") setMode("filter");
    else if (input === "o") {
      const at =
        filter.orchestrator === null ? 0 : orchestrators.findIndex((o) => o.id === filter.orchestrator) + 1;
      setPickIndex(Math.max(0, at));
      setMode("pick");
    } else if (input === "f") {
      setFilter((f) => ({ ...f, failedOnly: !f.failedOnly }));
      setSelected(0);
    } else if (input === "h" && snapshot?.hosts) {
      setFilter((f) => ({ ...f, host: nextHost(snapshot.hosts, f.host) }));
      setSelected(0);
    } else if (input === "?") setMode("help");
    else if (key.escape) {
      setFilter(NO_VIEW_FILTER);
      setSelected(0);
    }
  };
  // The key handler always runs the latest render's closure (ink re-subscribes only after commit).
  const onKeyRef = useRef(onKey);
  onKeyRef.current = onKey;
  useInput((input, key) => {
    const onKey = onKeyRef.current;
    // Several printable keys in one read (typed fast or pasted): one at a time, in order.
    if (input.length > 1 && !key.ctrl && !key.meta && !key.return && !key.escape && !key.tab)
      for (const ch of input) {
        if (ch === "\r" || ch === "\n") onKey("", { ...key, return: true });
        else if (ch === "\x7f" || ch === "\b") onKey("", { ...key, backspace: true });
        else if (ch >= " ") onKey(ch, key);
      }
    else onKey(input, key);
  });

  const counts = snapshot === null ? null : countFleet(snapshot);
  const bell = source.alerts?.() ?? null;
  const header = (
    <Box flexDirection="column">
      <Text>
        <Text bold color={c("cyan")}>
          catalyst-top
        </Text>{" "}
        {fit(source.label, Math.max(10, columns - 50), false)} ·{" "}
        <Text color={c(["reconnecting", "historical"].includes(source.state().state) ? "yellow" : "green")}>
          {stateText(source.state(), nowMs)}
        </Text>
        {snapshot?.loading ? ` · loading ${snapshot.loading.phase} (${snapshot.loading.records} lines)` : ""}
        {bell === null ? null : (
          <Text color={c(bell.open > 0 ? "red" : "gray")}>
            {` · alerts ${bell.open} open${bell.latest === null ? "" : `: ${fit(bell.latest, 40, false)}`}`}
          </Text>
        )}
      </Text>
      <Text>
        {counts === null ? "waiting for the first snapshot…" : fit(countsLine(counts), columns - 1, false)}
      </Text>
      {counts === null || source.store === undefined ? null : (
        <Text color={c("yellow")}>{fit(spendLine(source.store.spent, nowMs), columns - 1, false)}</Text>
      )}
      {hosts === null ? null : (
        <Text wrap="truncate">
          hosts:{" "}
          {hosts.map((h, i) => (
            <Text key={h.name}>
              {i > 0 ? " · " : ""}
              {h.stale === null ? (
                <Text bold={filter.host === h.name}>{h.name}</Text>
              ) : (
                <Text color={c("yellow")} bold={filter.host === h.name}>
                  {hostNameText(h)}
                </Text>
              )}
              {h.skipped === null ? null : <Text color={c("yellow")}> {skippedPartText(h)}</Text>}
            </Text>
          ))}
        </Text>
      )}
    </Box>
  );

  if (mode === "help") {
    return (
      <Box flexDirection="column">
        {header}
        <Text bold>Keys</Text>
        <Text>↑/↓ j/k move · PgUp/PgDn page · g/G top/bottom</Text>
        <Text>Enter worker detail (its recent events from the log)</Text>
        <Text>/ filter by text (Enter keeps, Esc clears)</Text>
        <Text>o pick an orchestrator · f failed / needs-you only · Esc clear filters</Text>
        {hosts === null ? null : (
          <Text>h next host (all → each host → all); a stale host's workers show "stale host"</Text>
        )}
        <Text>? this help · q quit (Ctrl-C too)</Text>
        <Text dimColor>Esc or ? to go back</Text>
      </Box>
    );
  }

  if (mode === "detail" && detail !== null) {
    const live = snapshot?.orchestrators.find((o) => o.id === detail.row.orchestrator)?.workers[
      detail.row.worker.ticket
    ];
    const w = live ?? detail.row.worker;
    const room = Math.max(3, budget - 2 - 6);
    const events = detail.events ?? [];
    return (
      <Box flexDirection="column">
        {header}
        <Text bold>
          {w.ticket} <Text dimColor>{detail.row.orchestrator}</Text>
          {detail.row.host === null ? "" : ` on ${detail.row.host}`}
          {detail.row.hostStale ? <Text color={c("yellow")}> (stale host: last known state)</Text> : ""}
          {w.title ? ` ${fit(w.title, Math.max(10, columns - w.ticket.length - 30), false)}` : ""}
        </Text>
        <Text>
          status {w.status} · phase{" "}
          {w.pipeline ? `${w.pipeline.phase} (${w.pipeline.column})` : `${w.phase} ${phaseBar(w.phase)}`} ·
          wave {w.wave ?? "-"} · alive {aliveCell(w, detail.row.hostStale)} · updated{" "}
          {age(w.updatedAt, nowMs)} ago
        </Text>
        {w.pipeline ? (
          <Text>
            phases {w.pipeline.phases.map((p) => `${p.phase}:${p.status}`).join(" → ") || "-"}
            {w.pipeline.jobId ? ` · job ${w.pipeline.jobId} ${w.pipeline.job}` : ""}
            {w.pipeline.host ? ` · host ${w.pipeline.host}` : ""}
          </Text>
        ) : null}
        <Text>
          PR {prCell(w)}
          {w.pr?.url ? ` ${w.pr.url}` : ""}
          {w.error ? ` · error: ${fit(w.error, 60, false)}` : ""}
          {w.attentionReason ? ` · attention: ${fit(w.attentionReason, 60, false)}` : ""}
        </Text>
        <Text bold>Recent events</Text>
        {detail.error !== null ? (
          <Text color={c("red")}>could not read the log: {detail.error}</Text>
        ) : detail.events === null ? (
          <Text dimColor>reading the event log…</Text>
        ) : events.length === 0 ? (
          <Text dimColor>no events for this worker in the log</Text>
        ) : (
          events.slice(-room).map((e, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: a static list of log lines
            <Text key={i} wrap="truncate">
              {e.ts.slice(11, 19)} {e.event} <Text dimColor>{e.detail}</Text>
            </Text>
          ))
        )}
        <Text dimColor>Esc back · q quit</Text>
      </Box>
    );
  }

  if (mode === "pick") {
    const names = ["all orchestrators", ...orchestrators.map((o) => o.id)];
    const win = windowRows(names.length, pickIndex, budget - 4);
    return (
      <Box flexDirection="column">
        {header}
        <Text bold>Pick an orchestrator (Enter choose, Esc back)</Text>
        {names.slice(win.start, win.end).map((name, i) => (
          <Text key={name} inverse={win.start + i === pickIndex}>
            {win.start + i === pickIndex ? "> " : "  "}
            {name}
          </Text>
        ))}
      </Box>
    );
  }

  const win = windowRows(workerList.length, sel, tableRows);
  const visible = workerList.slice(win.start, win.end);
  const orchs = snapshot === null ? [] : orchestratorList(snapshot, filter).slice(0, orchShown);
  const events = state.events.slice(-eventsShown);
  const filters = [
    filter.text ? `filter "${filter.text}"` : "",
    filter.orchestrator ? `orch ${filter.orchestrator}` : "",
    filter.host ? `host ${filter.host}` : "",
    filter.failedOnly ? "failed / needs-you only" : "",
  ].filter((x) => x !== "");

  return (
    <Box flexDirection="column">
      {header}
      <Text bold color={c(needsYou.length > 0 ? "red" : "green")}>
        {needsYou.length > 0 ? `NEEDS YOU (${needsYou.length})` : "needs you: nothing"}
      </Text>
      {needsYou.slice(0, nyShown).map((n) => (
        <Text key={`${n.orchestrator}/${n.worker ?? ""}/${n.reason}`} wrap="truncate">
          {"  "}
          <Text color={c("red")}>{n.reason}</Text> {n.worker ?? (n.orchestrator || "fleet")} {n.message}
        </Text>
      ))}
      {orchs.map((o) => (
        <Text key={o.id} wrap="truncate">
          <Text bold>{o.id}</Text> {o.status ?? "-"} · {orchestratorLine(o)}
          {o.host !== undefined && hosts?.some((h) => h.name === o.host && h.stale !== null) ? (
            <Text color={c("yellow")}> · stale host</Text>
          ) : (
            ""
          )}
        </Text>
      ))}
      <Text bold inverse={color}>
        {fit(formatHeaderRow(columns, hostWidth), columns - 1)}
      </Text>
      {visible.length === 0 ? (
        <Text dimColor>{snapshot === null ? "" : "no workers match"}</Text>
      ) : (
        visible.map((row, i) => {
          const isSel = win.start + i === sel;
          const failed = row.needsYou || row.worker.status === "failed" || row.worker.status === "stalled";
          return (
            <Text
              key={row.key}
              inverse={isSel}
              color={
                isSel
                  ? undefined
                  : c(
                      failed
                        ? "red"
                        : row.hostStale
                          ? "gray"
                          : row.worker.alive === false
                            ? "yellow"
                            : "white",
                    )
              }
              wrap="truncate"
            >
              {formatWorkerRow(row, columns - 1, nowMs, isSel, hostWidth)}
            </Text>
          );
        })
      )}
      <Text dimColor wrap="truncate">
        {fit(
          `rows ${workerList.length === 0 ? 0 : win.start + 1}-${win.end} of ${workerList.length}${filters.length > 0 ? ` · ${filters.join(" · ")}` : ""} · events:`,
          columns - 1,
          false,
        )}
      </Text>
      {events.map((e, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: the pane is an append-only tail
        <Text key={`${state.version}-${i}`} wrap="truncate" dimColor>
          {e.ts.slice(11, 19)} {e.text}
        </Text>
      ))}
      {mode === "filter" ? (
        <Text>
          / {filter.text}
          <Text inverse> </Text> <Text dimColor>(Enter keep, Esc clear)</Text>
        </Text>
      ) : (
        <Text dimColor>
          ↑↓ move · Enter detail · / filter · o orch{hosts === null ? "" : " · h host"} · f failed · ? help ·
          q quit
        </Text>
      )}
    </Box>
  );
}
