// The one polling wait the suites share, on vitest's own vi.waitFor (never a sleep as
// synchronisation): the check runs until it gives a value, and a timeout names what was awaited.
import { vi } from "vitest";

/** How long to wait and how often to look. */
export interface WaitUntilOptions {
  /** @default 20_000 */
  timeoutMs?: number;
  /** @default 10 */
  intervalMs?: number;
}

/**
 * Runs `check` (sync or async) until it returns something other than `undefined` or `false`, and
 * resolves with that; after `timeoutMs` (a number, or in the options) it rejects with
 * "timed out after N ms waiting for <what>" and the last error `check` threw, if any.
 */
export async function waitUntil<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  options: WaitUntilOptions | number = {},
): Promise<T> {
  const { timeoutMs = 20_000, intervalMs = 10 } =
    typeof options === "number" ? { timeoutMs: options } : options;
  let lastError: unknown;
  try {
    return await vi.waitFor(
      async () => {
        let value: T | undefined | false;
        try {
          value = await check();
        } catch (error) {
          lastError = error;
          throw error;
        }
        if (value === undefined || value === false) throw new Error("not yet");
        return value;
      },
      { timeout: timeoutMs, interval: intervalMs },
    );
  } catch {
    const cause = lastError instanceof Error ? ` (last: ${lastError.message})` : "";
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`, { cause: lastError });
  }
}
