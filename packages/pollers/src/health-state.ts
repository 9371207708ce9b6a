import { initialHealth } from "@catalyst/schema";

/** The mutable health record a poller keeps; `health()` hands out copies. */
export const createHealthState = initialHealth;

/** Calls every listener; one that throws does not stop the others or the poller; its error goes to `onError`. */
export function notifyListeners<T>(
  listeners: Iterable<(value: T) => void>,
  value: T,
  onError: (error: unknown) => void,
): void {
  for (const listener of [...listeners]) {
    try {
      listener(value);
    } catch (error) {
      onError(error);
    }
  }
}

/** A short, single-line description of an unknown error for `ComponentHealth.lastError`. */
export function describeError(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

/** The default `onListenerError`: the error is thrown again on a later microtask, where the host's uncaught-error handling sees it. */
export function rethrowLater(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}
