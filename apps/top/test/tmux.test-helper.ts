// A real terminal for the end-to-end tests: a private tmux server (its own socket), one pane
// running a command, keys sent with send-keys and the screen read with capture-pane.
import { execFileSync } from "node:child_process";
import { expect, vi } from "vitest";

let counter = 0;

export interface Terminal {
  /** The screen as text (no escape codes). */
  screen(): string;
  keys(...keys: string[]): void;
  /** Waits until the screen matches `re`; returns the screen. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  resize(columns: number, rows: number): void;
  kill(): void;
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}

/**
 * Starts `argv` in a new tmux pane `columns`×`rows`. The pane first prints `before-top`, and
 * after the command exits `[exit N]`, then waits, so a test can see what the terminal shows after.
 */
export function startTerminal(
  argv: string[],
  options: { columns?: number; rows?: number; env?: Record<string, string> } = {},
): Terminal {
  const socket = `catalyst-top-test-${process.pid}-${counter++}`;
  const env = Object.entries(options.env ?? {})
    .map(([k, v]) => `${k}=${shellQuote(v)}`)
    .join(" ");
  // A person's terminal: without CI/CONTINUOUS_INTEGRATION, which Ink reads at load to draw only
  // the last frame (the suite itself runs with CI=true in CI).
  const command = `echo before-top; env -u CI -u CONTINUOUS_INTEGRATION ${env} ${argv.map(shellQuote).join(" ")}; echo "[exit $?]"; exec cat`;
  const tmux = (...args: string[]) =>
    execFileSync("tmux", ["-L", socket, "-f", "/dev/null", ...args], { encoding: "utf8" });
  tmux(
    "new-session",
    "-d",
    "-s",
    "top",
    "-x",
    String(options.columns ?? 100),
    "-y",
    String(options.rows ?? 30),
    "sh",
    "-c",
    command,
  );
  const term: Terminal = {
    screen: () => tmux("capture-pane", "-p", "-t", "top"),
    keys: (...keys) => {
      for (const k of keys) tmux("send-keys", "-t", "top", k);
    },
    async waitFor(re, timeoutMs = 30_000) {
      let last = "";
      try {
        await vi.waitFor(
          () => {
            last = term.screen();
            expect(last).toMatch(re);
          },
          { timeout: timeoutMs, interval: 100 },
        );
      } catch (error) {
        // The whole scrollback, so a failure shows what scrolled away (an error above the screen).
        let scrollback = "";
        try {
          scrollback = tmux("capture-pane", "-p", "-S", "-", "-t", "top");
        } catch {
          // the server is gone
        }
        throw new Error(`screen never matched ${re}; scrollback:\n${scrollback}`, { cause: error });
      }
      return last;
    },
    resize: (columns, rows) => {
      tmux("resize-window", "-t", "top", "-x", String(columns), "-y", String(rows));
    },
    kill: () => {
      try {
        tmux("kill-server");
      } catch {
        // already gone
      }
    },
  };
  return term;
}
