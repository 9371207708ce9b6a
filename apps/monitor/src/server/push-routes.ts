import { answerPushRequest, type PushEndpoints } from "@catalyst/notify-channels";
import type { Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** `/api/push/key`, `/api/push/subscribe`, `/api/push/unsubscribe` (404 without `--notify-push`). */
export function mountPushRoutes(app: Hono, push: () => PushEndpoints | null): void {
  app.get("/api/push/key", async (c) => {
    const answer = await answerPushRequest(push(), { action: "key" });
    return c.json(answer.body as object, answer.status as ContentfulStatusCode);
  });
  for (const action of ["subscribe", "unsubscribe"] as const)
    app.post(`/api/push/${action}`, async (c) => {
      const answer = await answerPushRequest(push(), {
        action,
        contentLength: c.req.header("content-length"),
        text: () => c.req.text(),
      });
      return c.json(answer.body as object, answer.status as ContentfulStatusCode);
    });
}
