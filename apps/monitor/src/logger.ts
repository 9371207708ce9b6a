/** Log severities, quietest last. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** One line per notable thing, on stderr; fields never carry the token. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Options of the stderr logger. */
export interface LoggerOptions {
  /** @default "text" */
  format?: "text" | "json";
  /** @default false */
  debug?: boolean;
  /** @default process.stderr.write */
  write?: (line: string) => void;
  now?: () => Date;
}

function formatValue(value: unknown): string {
  if (typeof value === "string") return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

/** Creates the app's logger: `text` is `ts level message k=v ...`, `json` one object per line. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const now = options.now ?? (() => new Date());
  const format = options.format ?? "text";
  const log =
    (level: LogLevel) =>
    (message: string, fields: Record<string, unknown> = {}): void => {
      if (level === "debug" && !options.debug) return;
      const ts = now().toISOString();
      if (format === "json") write(`${JSON.stringify({ ts, level, msg: message, ...fields })}\n`);
      else {
        const extra = Object.entries(fields)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => ` ${k}=${formatValue(v)}`)
          .join("");
        write(`${ts} ${level} ${message}${extra}\n`);
      }
    };
  return { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
}
