import type { PushEndpoints } from "@catalyst/notify-channels";
import type { Hono } from "hono";
import { jsonError } from "./json-error.js";

/** A subscription is a few hundred bytes; anything larger is refused unread. */
const MAX_BODY = 8 * 1024;

/** `/api/push/key`, `/api/push/subscribe`, `/api/push/unsubscribe` (404 without `--notify-push`). */
export function mountPushRoutes(app: Hono, push: () => PushEndpoints | null): void {
  app.get("/api/push/key", (c) => {
    const p = push();
    return p === null
      ? jsonError(c, 404, "push_off", "Web Push is off (start the monitor with --notify-push)")
      : c.json(p.key());
  });
  for (const action of ["subscribe", "unsubscribe"] as const)
    app.post(`/api/push/${action}`, async (c) => {
      const p = push();
      if (p === null)
        return jsonError(c, 404, "push_off", "Web Push is off (start the monitor with --notify-push)");
      if (Number(c.req.header("content-length") ?? MAX_BODY + 1) > MAX_BODY)
        return jsonError(c, 413, "too_large", `a subscription is at most ${MAX_BODY} bytes`);
      let body: unknown;
      try {
        body = JSON.parse(await c.req.text());
      } catch {
        return jsonError(c, 400, "bad_json", "expected a JSON body");
      }
      const answer = await p[action](body);
      return c.json(answer.body as object, answer.status);
    });
}
