// Names on the broker. KV keys and subject tokens allow few characters, and host names, orchestrator
// ids and ticket keys are free text, so every token is escaped before it goes on the wire.

/** Bytes kept as they are in a token; every other UTF-8 byte becomes `_XX` (uppercase hex). */
const PLAIN = /^[A-Za-z0-9-]$/;

/**
 * Escape free text into one NATS-legal token: ASCII letters, digits and `-` stay, every other UTF-8
 * byte (including `_`, `.`, `*`, `>` and spaces) becomes `_` plus two uppercase hex digits. The
 * empty string becomes `_`. Reversible with {@link unescapeToken}; never contains `.` or `=`, so the
 * reserved tokens (which start with `=`) cannot clash with an escaped name.
 */
export function escapeToken(text: string): string {
  if (text.length === 0) return "_";
  let out = "";
  for (const ch of text) {
    if (PLAIN.test(ch)) {
      out += ch;
      continue;
    }
    for (const byte of Buffer.from(ch, "utf8")) out += `_${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** A token with no escape in it: itself (most keys; a central reads one per KV value at start-up). */
const ALL_PLAIN = /^[A-Za-z0-9-]+$/;

/** The inverse of {@link escapeToken}; null when `token` is not something it produced. */
export function unescapeToken(token: string): string | null {
  if (ALL_PLAIN.test(token)) return token;
  if (token === "_") return "";
  const bytes: number[] = [];
  for (let i = 0; i < token.length; i++) {
    const ch = token[i]!;
    if (ch === "_") {
      const hex = token.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) return null;
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else if (PLAIN.test(ch)) bytes.push(ch.charCodeAt(0));
    else return null;
  }
  return Buffer.from(bytes).toString("utf8");
}

/** Reserved last tokens of KV keys: not worker tickets. */
export const GLOBAL_TOKEN = "=global";
export const LOCAL_TOKEN = "=local";
export const ORCH_TOKEN = "=orch";
export const HOST_TOKEN = "=host";
/** Third token of a per-phase file's key: `<host>.<orch>.=phase.<ticket>.<phase>` (FORMATS-TODAY §2.3, §3). */
export const PHASE_TOKEN = "=phase";
/** Third token of a worker's relayed liveness answer: `<host>.<orch>.=live.<worker>`. */
export const LIVE_TOKEN = "=live";
/** Third token of a briefing's key: `<host>.<orch>.=brief.<w<N>|dashboard>`. */
export const BRIEF_TOKEN = "=brief";
/** Second token of a log file's skipped-line marker: `<host>.=skip.<file>`. */
export const SKIP_TOKEN = "=skip";
/** Log lines with no orchestrator go to this subject token. */
export const NO_ORCH_TOKEN = "=none";

/** What a KV key names. */
export type StateKey =
  | { kind: "signal"; host: string; orchestrator: string; key: string }
  | { kind: "phase"; host: string; orchestrator: string; ticket: string; phase: string }
  | { kind: "local-state"; host: string; orchestrator: string }
  | { kind: "orchestrator"; host: string; orchestrator: string }
  | { kind: "global-state"; host: string }
  | { kind: "heartbeat"; host: string }
  | { kind: "liveness"; host: string; orchestrator: string; worker: string }
  | { kind: "briefing"; host: string; orchestrator: string; wave: number | null }
  | { kind: "skipped"; host: string; file: string };

/** The KV key of one piece of state: `<host>.<orch>.<ticket>`, `<host>.<orch>.=live.<worker>`, `<host>.<orch>.=local`, `<host>.<orch>.=orch`, `<host>.=global`, `<host>.=host` (heartbeat). */
export function stateKeyOf(k: StateKey): string {
  const host = escapeToken(k.host);
  switch (k.kind) {
    case "global-state":
      return `${host}.${GLOBAL_TOKEN}`;
    case "heartbeat":
      return `${host}.${HOST_TOKEN}`;
    case "orchestrator":
      return `${host}.${escapeToken(k.orchestrator)}.${ORCH_TOKEN}`;
    case "local-state":
      return `${host}.${escapeToken(k.orchestrator)}.${LOCAL_TOKEN}`;
    case "signal":
      return `${host}.${escapeToken(k.orchestrator)}.${escapeToken(k.key)}`;
    case "phase":
      return `${host}.${escapeToken(k.orchestrator)}.${PHASE_TOKEN}.${escapeToken(k.ticket)}.${escapeToken(k.phase)}`;
    case "liveness":
      return `${host}.${escapeToken(k.orchestrator)}.${LIVE_TOKEN}.${escapeToken(k.worker)}`;
    case "briefing":
      return `${host}.${escapeToken(k.orchestrator)}.${BRIEF_TOKEN}.${k.wave === null ? "dashboard" : `w${k.wave}`}`;
    case "skipped":
      return `${host}.${SKIP_TOKEN}.${escapeToken(k.file)}`;
  }
}

/** Read a KV key back; null for a key this package did not write. */
export function parseStateKey(key: string): StateKey | null {
  const parts = key.split(".");
  const host = parts[0] === undefined ? null : unescapeToken(parts[0]);
  if (host === null) return null;
  if (parts.length === 2 && parts[1] === GLOBAL_TOKEN) return { kind: "global-state", host };
  if (parts.length === 2 && parts[1] === HOST_TOKEN) return { kind: "heartbeat", host };
  if (parts.length === 5 && parts[2] === PHASE_TOKEN) {
    const [orchestrator, ticket, phase] = [parts[1]!, parts[3]!, parts[4]!].map(unescapeToken);
    if (orchestrator == null || ticket == null || phase == null) return null;
    return { kind: "phase", host, orchestrator, ticket, phase };
  }
  if (parts.length === 3 && parts[1] === SKIP_TOKEN) {
    const file = unescapeToken(parts[2]!);
    return file === null ? null : { kind: "skipped", host, file };
  }
  if (parts.length === 4 && parts[2] === BRIEF_TOKEN) {
    const orchestrator = unescapeToken(parts[1]!);
    const w = parts[3]!;
    if (orchestrator === null) return null;
    if (w === "dashboard") return { kind: "briefing", host, orchestrator, wave: null };
    const m = /^w(0|[1-9]\d{0,8})$/.exec(w);
    return m ? { kind: "briefing", host, orchestrator, wave: Number(m[1]) } : null;
  }
  if (parts.length === 4 && parts[2] === LIVE_TOKEN) {
    const [orchestrator, worker] = [parts[1]!, parts[3]!].map(unescapeToken);
    if (orchestrator == null || worker == null) return null;
    return { kind: "liveness", host, orchestrator, worker };
  }
  if (parts.length !== 3) return null;
  const orchestrator = unescapeToken(parts[1]!);
  if (orchestrator === null) return null;
  if (parts[2] === ORCH_TOKEN) return { kind: "orchestrator", host, orchestrator };
  if (parts[2] === LOCAL_TOKEN) return { kind: "local-state", host, orchestrator };
  const ticket = unescapeToken(parts[2]!);
  return ticket === null ? null : { kind: "signal", host, orchestrator, key: ticket };
}

/** The stream subject of one host's log lines for one orchestrator: `<prefix>.<host>.<orch>`. */
export function eventSubjectOf(prefix: string, host: string, orchestrator: string | null): string {
  return `${prefix}.${escapeToken(host)}.${orchestrator === null ? NO_ORCH_TOKEN : escapeToken(orchestrator)}`;
}

/**
 * JetStream's de-duplication id of one log line: host, file (relative to the catalyst dir), the
 * file's generation (bumped when the file is truncated or replaced) and the line's byte offset.
 */
export function messageIdOf(host: string, file: string, generation: number, offset: number): string {
  return `${escapeToken(host)}:${escapeToken(file)}:${generation}:${offset}`;
}
