import { describe, expect, it } from "vitest";
import { waitUntil } from "./wait-until.js";

describe("waitUntil", () => {
  it("resolves with the first value that is not undefined or false", async () => {
    let calls = 0;
    const value = await waitUntil("the third call", () => (++calls >= 3 ? { calls } : false), {
      intervalMs: 1,
    });
    expect(value).toEqual({ calls: 3 });
  });

  it("waits on async checks and retries ones that throw", async () => {
    let calls = 0;
    const value = await waitUntil("a value", async () => {
      calls += 1;
      if (calls < 2) throw new Error("not ready");
      return "ready";
    });
    expect(value).toBe("ready");
  });

  it("rejects after the timeout, naming what it waited for and the last error", async () => {
    await expect(waitUntil("nothing", () => undefined, 50)).rejects.toThrow(
      "timed out after 50 ms waiting for nothing",
    );
    await expect(
      waitUntil(
        "a broken check",
        () => {
          throw new Error("broken");
        },
        { timeoutMs: 50 },
      ),
    ).rejects.toThrow("(last: broken)");
  });
});
