// The one Node-side export: where the built dashboard is (`pnpm --filter @catalyst/dashboard build`).
import { fileURLToPath } from "node:url";

/** Absolute path of the built static files (index.html, app.js, styles.css, favicon.svg). */
export const publicDir = fileURLToPath(new URL("./dist/public/", import.meta.url));
