import { describe, expect, it } from "vitest";
import { buildPrQuery, pickPrNodes, readPrNode } from "./pr-query.js";

describe("buildPrQuery", () => {
  it("groups PRs under one aliased repository each and asks for the rate-limit cost", () => {
    const plan = buildPrQuery([
      { repo: "acme/api", number: 7 },
      { repo: "acme/web", number: 3 },
      { repo: "acme/api", number: 8 },
    ]);
    expect(plan.query).toContain('r0: repository(owner: "acme", name: "api")');
    expect(plan.query).toContain('r1: repository(owner: "acme", name: "web")');
    expect(plan.query).toContain("p8: pullRequest(number: 8) { ...CatalystPr }");
    expect(plan.query).toContain("rateLimit { cost remaining resetAt }");
    expect(plan.query.match(/repository\(/g)).toHaveLength(2);
    expect(plan.aliases.map((a) => `${a.repoAlias}.${a.prAlias}`)).toEqual(["r0.p7", "r1.p3", "r0.p8"]);
  });
});

describe("reading answers", () => {
  const plan = buildPrQuery([
    { repo: "acme/api", number: 7 },
    { repo: "acme/api", number: 9 },
  ]);
  it("maps a node and tolerates missing fields", () => {
    const picked = pickPrNodes(plan, { r0: { p7: { state: "OPEN", title: "" }, p9: null } });
    expect(picked[1]?.node).toBeNull();
    const status = readPrNode(picked[0]!.ref, picked[0]!.node!, "2026-11-24T12:00:00Z");
    expect(status).toMatchObject({
      state: "open",
      ciStatus: "pending",
      title: "",
      isDraft: null,
      mergeable: null,
      url: null,
      stale: false,
    });
  });
  it("treats an unknown state as unknown and merged:true as merged", () => {
    const ref = { repo: "acme/api", number: 7 };
    expect(readPrNode(ref, { state: "WEIRD" }, "2026-11-24T12:00:00Z").state).toBe("unknown");
    expect(readPrNode(ref, { state: "CLOSED", merged: true }, "2026-11-24T12:00:00Z")).toMatchObject({
      state: "merged",
      ciStatus: "merged",
    });
  });
  it("survives garbage data", () => {
    expect(pickPrNodes(plan, null).map((p) => p.node)).toEqual([null, null]);
    expect(pickPrNodes(plan, { r0: "x" }).map((p) => p.node)).toEqual([null, null]);
  });
});
