// Execution-core workers: liveness from the job state, on the pid poller's cadence (FORMATS-TODAY §3.5).
import { describe, expect, it } from "vitest";
import { checkLiveness, createLivenessPoller, type JobProbeAnswer } from "./index.js";

const NOW = new Date("2026-08-20T13:02:00.000Z");
const target = (jobId: string) => ({
  orchestrator: "execution-core",
  worker: "CTL-412",
  pid: null,
  startedAt: null,
  jobId,
});

describe("job liveness", () => {
  it("R3.18 alive and dead come from the probe; the pid is never consulted", () => {
    const probe = (id: string): JobProbeAnswer =>
      id === "5e0c9a7f" ? { verdict: "alive", state: "working" } : { verdict: "dead", state: null };
    expect(
      checkLiveness(target("5e0c9a7f"), NOW, {
        jobProbe: probe,
        kill: () => {
          throw new Error("no pid check");
        },
      }),
    ).toEqual({
      pid: null,
      alive: true,
      reason: "job-alive",
      checkedAt: NOW.toISOString(),
      jobId: "5e0c9a7f",
      jobState: "working",
    });
    expect(checkLiveness(target("00000000"), NOW, { jobProbe: probe })).toMatchObject({
      alive: false,
      reason: "job-dead",
    });
  });

  it("R3.19 blocked is waiting on you (alive null), and without a probe or with a failing one it is unknown, never dead", () => {
    expect(
      checkLiveness(target("a"), NOW, { jobProbe: () => ({ verdict: "blocked", state: "blocked" }) }),
    ).toMatchObject({
      alive: null,
      reason: "job-blocked",
    });
    expect(checkLiveness(target("a"), NOW)).toMatchObject({ alive: null, reason: "no-job" });
    expect(
      checkLiveness(target("a"), NOW, {
        jobProbe: () => {
          throw new Error("EACCES");
        },
      }),
    ).toMatchObject({ alive: null, reason: "no-job" });
  });

  it("the poller reports a job that changed state, and a new job id of the same worker", () => {
    const states = new Map<string, JobProbeAnswer>([["j1", { verdict: "alive", state: "working" }]]);
    const poller = createLivenessPoller({
      deps: { jobProbe: (id) => states.get(id) ?? { verdict: "dead", state: null } },
    });
    const reports: string[] = [];
    poller.subscribe((r) => reports.push(...r.map((x) => `${x.result.jobId}:${x.result.reason}`)));
    poller.track([target("j1")]);
    poller.checkNow();
    poller.checkNow(); // unchanged: not reported again
    states.set("j1", { verdict: "blocked", state: "blocked" });
    poller.checkNow();
    poller.track([target("j2")]);
    poller.checkNow();
    expect(reports).toEqual(["j1:job-alive", "j1:job-blocked", "j2:job-dead"]);
  });
});
