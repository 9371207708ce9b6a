import { describe, expect, it } from "vitest";
import { rateLimitedWarn, reportSourceErrors } from "./engine.js";

/** A logger that keeps its warnings. */
function warnings() {
  const lines: string[] = [];
  return {
    lines,
    logger: {
      warn: (message: string, fields?: Record<string, unknown>) =>
        void lines.push(`${message}${fields ? ` ${JSON.stringify(fields)}` : ""}`),
    },
  };
}

describe("rateLimitedWarn", () => {
  it("warns once per interval for the same key, and at once for a new key", () => {
    const { lines, logger } = warnings();
    let clock = 0;
    const warn = rateLimitedWarn(logger, 10_000, () => clock);
    warn("EMFILE", "out of descriptors");
    clock = 9_999;
    warn("EMFILE", "out of descriptors");
    warn("EACCES", "could not read");
    clock = 12_000;
    warn("EACCES", "could not read");
    clock = 20_000;
    warn("EACCES", "could not read", { error: "x" });
    expect(lines).toEqual(["out of descriptors", "could not read", 'could not read {"error":"x"}']);
  });
});

describe("reportSourceErrors", () => {
  it("says what to do when out of descriptors, once for a burst of them", () => {
    const { lines, logger } = warnings();
    const report = reportSourceErrors(logger);
    const emfile = Object.assign(new Error("EMFILE: too many open files"), { code: "EMFILE" });
    for (let i = 0; i < 50; i++) report(emfile);
    report(new Error("EACCES: permission denied"));
    expect(lines).toEqual([
      'out of file descriptors reading the catalyst dir (raise ulimit -n); retrying {"error":"Error: EMFILE: too many open files"}',
      'could not read a source file; retrying {"error":"Error: EACCES: permission denied"}',
    ]);
  });
});
