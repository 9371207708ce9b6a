import { describe, expect, it } from "vitest";
import { type ClientEndReason, createClientQueue } from "./client-queue.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (chunk: Uint8Array | undefined) => new TextDecoder().decode(chunk);

describe("createClientQueue", () => {
  it("hands queued frames to the reader in one chunk and waits for more", async () => {
    const ends: ClientEndReason[] = [];
    const q = createClientQueue({ maxFrames: 10, maxBytes: 1024 }, (r) => ends.push(r));
    q.push(bytes("a"));
    q.push(bytes("b"));
    expect(q.depth()).toBe(2);
    const reader = q.stream.getReader();
    expect(text((await reader.read()).value)).toBe("ab");
    const pending = reader.read();
    q.push(bytes("c"));
    expect(text((await pending).value)).toBe("c");
    q.close();
    expect((await reader.read()).done).toBe(true);
    expect(ends).toEqual(["closed"]);
  });

  it("ends with overflow when frames or bytes pass the limit, and breaks the connection", async () => {
    let destroyed = 0;
    const ends: ClientEndReason[] = [];
    const q = createClientQueue(
      { maxFrames: 3, maxBytes: 1024 },
      (r) => ends.push(r),
      () => destroyed++,
    );
    for (let i = 0; i < 3; i++) expect(q.push(bytes("x"))).toBe(true);
    expect(q.push(bytes("x"))).toBe(false);
    expect(ends).toEqual(["overflow"]);
    expect(destroyed).toBe(1);
    expect(q.depth()).toBe(0);
    expect(q.push(bytes("late"))).toBe(false);

    const byBytes = createClientQueue({ maxFrames: 100, maxBytes: 10 }, (r) => ends.push(r));
    expect(byBytes.push(bytes("0123456789ABCDEF"))).toBe(true); // one big frame (a snapshot) still goes
    // and does not count against the bytes of the frames beside it, up to the limit.
    expect(byBytes.push(bytes("more"))).toBe(true);
    expect(byBytes.push(bytes("0123456"))).toBe(false);
    await expect(byBytes.stream.getReader().read()).rejects.toThrow(/too slow/);
  });

  it("lets one frame over the byte limit pass beside others, but not a second one", () => {
    const ends: ClientEndReason[] = [];
    const q = createClientQueue({ maxFrames: 100, maxBytes: 10 }, (r) => ends.push(r));
    expect(q.push(bytes("retry"))).toBe(true);
    expect(q.push(bytes("0123456789ABCDEF"))).toBe(true);
    expect(q.push(bytes("delta"))).toBe(true);
    expect(q.push(bytes("FEDCBA9876543210"))).toBe(false);
    expect(ends).toEqual(["overflow"]);
  });

  it("reports a reader that cancels (disconnect) once", async () => {
    const ends: ClientEndReason[] = [];
    const q = createClientQueue({ maxFrames: 10, maxBytes: 1024 }, (r) => ends.push(r));
    await q.stream.cancel();
    q.disconnect();
    q.close();
    expect(ends).toEqual(["cancelled"]);
    expect(q.ended).toBe(true);
  });

  it("closes after delivering frames still queued", async () => {
    const q = createClientQueue({ maxFrames: 10, maxBytes: 1024 }, () => {});
    q.push(bytes("last"));
    q.close();
    const reader = q.stream.getReader();
    expect(text((await reader.read()).value)).toBe("last");
    expect((await reader.read()).done).toBe(true);
  });
});
