import type { LogRecord } from "@catalyst/schema";
import type { Paint, SgrName } from "./colour.js";

const TYPE_WIDTH = 24;
const MAX_ORCH_WIDTH = 36;
const MAX_WORKER_WIDTH = 14;
const MAX_DETAIL = 200;

/** Formats one record as an aligned, optionally coloured line (with its newline). */
export type RecordFormatter = (record: LogRecord) => string;

/**
 * The `pretty` view: UTC time, type, orchestrator (or session), worker, and a one-line summary
 * of `detail`. Column widths grow as wider values arrive, so a stream stays aligned without
 * reading ahead. Control characters from the log are escaped so a line cannot drive the terminal.
 */
export function createPrettyFormatter(paint: Paint): RecordFormatter {
  let orchWidth = 12;
  let workerWidth = 6;
  return (record) => {
    const e = record.event;
    const time = formatTime(e.tsMs, e.ts);
    const type = clean(e.type || "?");
    const raw = record.line as { session?: unknown };
    const owner = clean(e.orchestrator ?? (typeof raw.session === "string" ? raw.session : "-"));
    const worker = clean(e.worker ?? "-");
    orchWidth = Math.min(MAX_ORCH_WIDTH, Math.max(orchWidth, owner.length));
    workerWidth = Math.min(MAX_WORKER_WIDTH, Math.max(workerWidth, worker.length));
    const detail = summarizeDetail(e.detail);
    const parts = [
      paint("dim", time),
      paint(typeTone(type), type.padEnd(TYPE_WIDTH)),
      owner.padEnd(orchWidth),
      paint("bold", worker.padEnd(workerWidth)),
    ];
    if (detail !== "") parts.push(detail);
    return `${parts.join("  ").trimEnd()}\n`;
  };
}

/** `2026-04-14 19:03:01.482Z`: fixed width whatever precision or zone the line was written with. */
export function formatTime(tsMs: number, fallback: string): string {
  if (!Number.isFinite(tsMs)) return clean(fallback).padEnd(24);
  const iso = new Date(tsMs).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11)}`;
}

/** A compact `key=value` rendering of an event's detail, trimmed to one readable line. */
export function summarizeDetail(detail: unknown): string {
  if (detail === null || detail === undefined) return "";
  let text: string;
  if (typeof detail === "object" && !Array.isArray(detail)) {
    text = Object.entries(detail as Record<string, unknown>)
      .map(([key, value]) => `${key}=${renderValue(value)}`)
      .join(" ");
  } else {
    text = renderValue(detail);
  }
  text = clean(text);
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL - 1)}…` : text;
}

function renderValue(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return /[\s"=]/.test(value) || value === "" ? JSON.stringify(value) : value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === "string" || typeof v === "number")) {
    return value.join(",");
  }
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function typeTone(type: string): SgrName {
  if (/fail|error|abandon/.test(type)) return "red";
  if (/attention-raised|stall|launch|revived|paused/.test(type)) return "yellow";
  if (/done|merged|passed|completed|pr-created|resolved/.test(type)) return "green";
  if (/started|dispatched/.test(type)) return "blue";
  return "cyan";
}

// Escape C0/C1 controls and DEL: a log line must never be able to move the cursor or retitle the terminal.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** Replace control characters with visible escapes. */
export function clean(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
