import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { createOutputBuffer, createStringSink } from "./output-buffer.js";

describe("createOutputBuffer", () => {
  it("batches pushes into one write per flush and reports when full", async () => {
    const sink = createStringSink();
    const writes: string[] = [];
    const buffer = createOutputBuffer({ write: (t: string) => writes.push(t) && sink.write(t) }, 10);
    expect(buffer.push("abcd")).toBe(false);
    expect(buffer.push("efghij")).toBe(true);
    await buffer.flush();
    await buffer.flush();
    expect(writes).toEqual(["abcdefghij"]);
  });

  it("waits for drain when the sink pushes back", async () => {
    const emitter = new EventEmitter();
    const sink = {
      text: "",
      write(t: string): boolean {
        sink.text += t;
        return false;
      },
      once(event: "drain", listener: () => void) {
        emitter.once(event, listener);
      },
    };
    const buffer = createOutputBuffer(sink);
    buffer.push("line\n");
    let done = false;
    const flushed = buffer.flush().then(() => {
      done = true;
    });
    await Promise.resolve();
    expect(done).toBe(false);
    expect(sink.text).toBe("line\n");
    emitter.emit("drain");
    await flushed;
    expect(done).toBe(true);
  });
});
