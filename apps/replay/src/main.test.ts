import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";

/** A stream that keeps what is written to it. */
function sink(): PassThrough & { text: () => string } {
  const stream = new PassThrough();
  let text = "";
  stream.on("data", (chunk: Buffer) => {
    text += chunk.toString("utf8");
  });
  return Object.assign(stream, { text: () => text });
}

describe("catalyst-replay main", () => {
  it("runs nothing when imported, and resolves with the exit code instead of exiting", async () => {
    const before = process.exitCode;
    const { main } = await import("./main.js");
    expect(process.exitCode).toBe(before);
    const out = sink();
    const err = sink();
    expect(await main(["--version"], { env: {}, stdout: out, stderr: err })).toBe(0);
    expect(out.text()).toMatch(/^catalyst-replay \d+\.\d+\.\d+\n$/);
    expect(await main(["--bogus"], { env: {}, stdout: out, stderr: err })).toBe(2);
    expect(
      await main(["--since", "2h", "--dir", "/nonexistent/catalyst"], { env: {}, stdout: out, stderr: err }),
    ).toBe(1);
    expect(err.text()).toBe(
      "catalyst-replay: unknown option --bogus (see --help)\n" +
        "catalyst-replay: cannot read event log at /nonexistent/catalyst (ENOENT)\n",
    );
  });
});
