// The Node side: which built files may be served and the page's CSP, on a real temp dir.
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publicDir, readDashboardAsset, readDashboardPage, securityHeaders } from "../node/index.js";

let dir = "";
const LOADER = "document.body.dataset.x = 1;";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dashboard-node-"));
  await writeFile(join(dir, "index.html"), `<!doctype html><script>${LOADER}</script>`);
  await writeFile(join(dir, "app.js"), "console.log(1)");
  await writeFile(join(dir, "notes.txt"), "not served");
  await writeFile(join(dir, ".hidden.js"), "not served");
  await mkdir(join(dir, "sub"));
  await writeFile(join(dir, "sub", "x.js"), "not served");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the dashboard's Node side", () => {
  it("points publicDir at this package's dist/public", () => {
    expect(publicDir.replaceAll("\\", "/")).toMatch(/packages\/dashboard\/dist\/public\/$/);
  });

  it("reads the page and plain asset names of known types only", async () => {
    expect((await readDashboardPage(dir))?.type).toBe("text/html; charset=utf-8");
    const app = await readDashboardAsset("app.js", dir);
    expect(app?.type).toBe("text/javascript; charset=utf-8");
    expect(new TextDecoder().decode(app?.body)).toBe("console.log(1)");
    for (const name of [
      "notes.txt",
      ".hidden.js",
      "../index.html",
      "sub/x.js",
      "missing.js",
      "x".repeat(200),
    ])
      expect(await readDashboardAsset(name, dir), name).toBeNull();
    expect(await readDashboardPage(join(dir, "nowhere"))).toBeNull();
  });

  it("allows exactly the page's inline loader in the CSP, and nothing inline without a page", () => {
    const hash = createHash("sha256").update(LOADER).digest("base64");
    const csp = securityHeaders(dir)["Content-Security-Policy"];
    expect(csp).toContain(`script-src 'self' 'sha256-${hash}'`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(securityHeaders(join(dir, "nowhere"))["Content-Security-Policy"]).toContain("script-src 'self';");
  });
});
