import { readDashboardAsset, readDashboardPage, readDashboardRootFile } from "@catalyst/dashboard";
import type { Context, Hono } from "hono";
import { jsonError } from "./json-error.js";

/** Serves the dashboard: `GET /` and `GET /index.html` → index.html, `GET /assets/<name>` → a file directly in publicDir. */
export function mountStaticAssets(app: Hono, publicDir: string): void {
  const index = async (c: Context) => {
    const page = await readDashboardPage(publicDir);
    if (page === null)
      return jsonError(
        c,
        404,
        "dashboard_missing",
        "dashboard not built: run `pnpm --filter catalyst-monitor build` (the API and /events work without it)",
      );
    return c.body(page.body, 200, { "Content-Type": page.type, "Cache-Control": "no-cache" });
  };
  app.get("/", index);
  app.get("/index.html", index);
  for (const name of ["sw.js", "manifest.webmanifest"])
    app.get(`/${name}`, async (c) => {
      const file = await readDashboardRootFile(name, publicDir);
      if (file === null) return jsonError(c, 404, "not_found", `no ${name} (dashboard not built)`);
      return c.body(file.body, 200, { "Content-Type": file.type, "Cache-Control": "no-cache" });
    });
  app.get("/assets/:name", async (c) => {
    const name = c.req.param("name");
    const asset = await readDashboardAsset(name, publicDir);
    if (asset === null)
      return jsonError(c, 404, "not_found", `no asset ${JSON.stringify(name.slice(0, 100))}`);
    return c.body(asset.body, 200, { "Content-Type": asset.type, "Cache-Control": "no-cache" });
  });
}
