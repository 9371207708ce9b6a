import { symlink } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { discoverOrchestrators } from "./index.js";
import { makeTree, removeTree } from "./test-tree.test-helper.js";

let root = "";
afterEach(() => removeTree(root));

describe("discoverOrchestrators", () => {
  it("finds depth-1 and depth-2 dirs with workers/ under runs/ and wt/, without an orch- prefix", async () => {
    root = await makeTree({
      "runs/o-api-931/workers/": "",
      "wt/orch-flat/workers/": "",
      "wt/ctl/orch-nested/workers/": "",
      "wt/ctl/orch-nested-CTL-48/src/": "",
      "wt/ctl/notes.txt": "x",
      "wt/other/": "",
    });
    const refs = await discoverOrchestrators(root);
    expect(refs).toEqual([
      { id: "o-api-931", workspace: "default", path: join(root, "runs/o-api-931"), source: "runs" },
      { id: "orch-nested", workspace: "ctl", path: join(root, "wt/ctl/orch-nested"), source: "wt" },
      { id: "orch-flat", workspace: "default", path: join(root, "wt/orch-flat"), source: "wt" },
    ]);
  });

  it("lets runs/ win an id clash and does not descend into a depth-1 orchestrator", async () => {
    root = await makeTree({
      "runs/orch-a/workers/": "",
      "wt/ctl/orch-a/workers/": "",
      "wt/orch-b/workers/": "",
      "wt/orch-b/orch-c/workers/": "",
    });
    const refs = await discoverOrchestrators(root);
    expect(refs.map((r) => [r.id, r.source])).toEqual([
      ["orch-a", "runs"],
      ["orch-b", "wt"],
    ]);
  });

  it("ignores anything deeper than depth 2, follows symlinks, and returns [] for a missing dir", async () => {
    root = await makeTree({
      "wt/a/b/orch-deep/workers/": "",
      "elsewhere/orch-link/workers/": "",
      "runs/": "",
    });
    await symlink(join(root, "elsewhere/orch-link"), join(root, "runs/orch-link"));
    expect((await discoverOrchestrators(root)).map((r) => r.id)).toEqual(["orch-link"]);
    expect(await discoverOrchestrators(join(root, "missing"))).toEqual([]);
  });
});
