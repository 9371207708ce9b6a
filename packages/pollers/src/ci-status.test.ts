import { describe, expect, it } from "vitest";
import { type CheckRollup, ciStatusFromRollup } from "./index.js";

const run = (status: string, conclusion: string | null = null) => ({ status, conclusion });
const ctx = (state: string) => ({ state });
const rollup = (
  contexts: CheckRollup["contexts"],
  state: string | null = null,
  complete = true,
): CheckRollup => ({
  state,
  contexts,
  complete,
});

describe("ciStatusFromRollup (FORMATS §5.8.4)", () => {
  it("merged wins over everything", () => {
    expect(ciStatusFromRollup(true, rollup([run("IN_PROGRESS")]))).toBe("merged");
  });
  it("an empty or missing rollup is pending", () => {
    expect(ciStatusFromRollup(false, null)).toBe("pending");
    expect(ciStatusFromRollup(false, rollup([]))).toBe("pending");
  });
  it.each(["IN_PROGRESS", "QUEUED", "PENDING", "WAITING", "REQUESTED"])(
    "check run %s is pending, even beside a failure",
    (s) => {
      expect(ciStatusFromRollup(false, rollup([run("COMPLETED", "FAILURE"), run(s)]))).toBe("pending");
    },
  );
  it.each(["FAILURE", "TIMED_OUT", "CANCELLED", "ACTION_REQUIRED", "STARTUP_FAILURE"])(
    "conclusion %s is failing",
    (c) => {
      expect(ciStatusFromRollup(false, rollup([run("COMPLETED", "SUCCESS"), run("COMPLETED", c)]))).toBe(
        "failing",
      );
    },
  );
  it("neutral and skipped runs still count as passing", () => {
    expect(
      ciStatusFromRollup(false, rollup([run("COMPLETED", "NEUTRAL"), run("COMPLETED", "SKIPPED")])),
    ).toBe("passing");
  });
  it("status contexts use state", () => {
    expect(ciStatusFromRollup(false, rollup([ctx("SUCCESS")]))).toBe("passing");
    expect(ciStatusFromRollup(false, rollup([ctx("EXPECTED")]))).toBe("pending");
    expect(ciStatusFromRollup(false, rollup([ctx("PENDING"), ctx("ERROR")]))).toBe("pending");
    expect(ciStatusFromRollup(false, rollup([ctx("ERROR")]))).toBe("failing");
    expect(ciStatusFromRollup(false, rollup([ctx("FAILURE"), ctx("SUCCESS")]))).toBe("failing");
  });
  it("lets GitHub's summary settle what one page of items cannot", () => {
    const page = [run("COMPLETED", "SUCCESS")];
    expect(ciStatusFromRollup(false, rollup(page, "PENDING", false))).toBe("pending");
    expect(ciStatusFromRollup(false, rollup(page, "FAILURE", false))).toBe("failing");
    expect(ciStatusFromRollup(false, rollup(page, "SUCCESS", false))).toBe("passing");
    expect(ciStatusFromRollup(false, rollup([run("COMPLETED", "FAILURE")], "PENDING", false))).toBe(
      "pending",
    );
    expect(ciStatusFromRollup(false, rollup([run("COMPLETED", "FAILURE")], "SUCCESS", false))).toBe(
      "failing",
    );
    expect(ciStatusFromRollup(false, rollup(page, null, false))).toBe("passing");
  });
});
