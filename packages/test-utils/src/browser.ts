// Shared pieces of the dashboard's browser tests (in @catalyst/dashboard and catalyst-monitor):
// launching Debian's Chromium through playwright-core, screenshots, and waiting on page state (never sleeping).
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { type Browser, chromium, type Page } from "playwright-core";
import { expect, inject } from "vitest";
import { SHARED_DIR_KEY } from "./shared-dir.js";
import { REPO_ROOT } from "./spawn-bin.js";

const run = promisify(execFile);

// Page-side globals used inside page.evaluate callbacks, typed minimally: the app's tsconfig has
// no DOM lib (the browser code has its own tsconfig), and these callbacks run in the page.
interface PageElement {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  querySelector(selector: string): PageElement | null;
  compareDocumentPosition(other: PageElement): number;
}
declare const window: { scrollTo(x: number, y: number): void };
declare function getComputedStyle(element: PageElement): { getPropertyValue(name: string): string };
declare const document: {
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement>;
  body: PageElement;
};

/** packages/dashboard and apps/monitor. */
const DASHBOARD_DIR = join(REPO_ROOT, "packages", "dashboard");
const MONITOR_DIR = join(REPO_ROOT, "apps", "monitor");

/** Where screenshots go (gitignored): test-artifacts/ at the repository root. */
export const ARTIFACTS_DIR = join(REPO_ROOT, "test-artifacts");

/** The browser binary: Debian's `chromium`, or CHROMIUM_PATH. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Launches headless Chromium; fails with an actionable message when it is not installed. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}. The dashboard tests need a real browser: ` +
        "install Debian's package with `apt-get update && apt-get install -y chromium` " +
        "(.ci/run does this), or set CHROMIUM_PATH to a Chromium binary.",
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** Builds the dashboard (@catalyst/dashboard's tsup config: app.js + static files) into a fresh temp dir under `parent` (so no other test's build can clobber it). */
export async function buildDashboardBundle(parent: string = tmpdir()): Promise<string> {
  const outDir = await mkdtemp(join(parent, "catalyst-dashboard-"));
  await run("pnpm", ["exec", "tsup", "--config", "tsup.browser.config.ts", "--out-dir", outDir, "--silent"], {
    cwd: DASHBOARD_DIR,
  });
  return outDir;
}

let sharedBundle: Promise<string> | null = null;

/**
 * The dashboard bundle built once per test process (a project's files share one module registry,
 * see vitest.shared.ts) for its browser tests, which only read it; callers must not change or
 * remove it. It is built under the run's shared dir, which the project's global setup
 * (`src/shared-dir.global-setup.ts`) removes when the run ends. A failed build is not kept.
 */
export function sharedDashboardBundle(): Promise<string> {
  if (sharedBundle === null) {
    const root = inject(SHARED_DIR_KEY);
    if (!root)
      throw new Error(
        "sharedDashboardBundle needs the project's globalSetup to list @catalyst/test-utils' src/shared-dir.global-setup.ts",
      );
    const building = buildDashboardBundle(root);
    sharedBundle = building;
    building.catch(() => {
      if (sharedBundle === building) sharedBundle = null;
    });
  }
  return sharedBundle;
}

// Serialises `pnpm run build` of the monitor between test files and processes: tsup's `clean`
// empties dist/ first, so two builds at once (or a build during another file's run) break each other.
// The lock is this checkout's own (beside the dist/ it guards, in the gitignored test-artifacts/):
// another clone or worktree on the box builds its own dist/ and need not wait for this one.
const BUILD_LOCK = join(MONITOR_DIR, "test-artifacts", "build.lock.d");

export async function withBuildLock<T>(work: () => Promise<T>, timeoutMs = 240_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  await mkdir(dirname(BUILD_LOCK), { recursive: true });
  for (;;) {
    try {
      await mkdir(BUILD_LOCK);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      // A lock left by a killed run is taken over after the longest a build can take.
      const info = await stat(BUILD_LOCK).catch(() => null);
      if (info && Date.now() - info.mtimeMs > timeoutMs)
        await rm(BUILD_LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for the build lock ${BUILD_LOCK}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    return await work();
  } finally {
    await rm(BUILD_LOCK, { recursive: true, force: true });
  }
}

/** The `build` scripts of apps/monitor (the dashboard's, then its own tsup build) and the dashboard. */
const MONITOR_BUILD_SCRIPT = "pnpm --filter @catalyst/dashboard run build && tsup";
const DASHBOARD_BUILD_SCRIPT = "tsup";

/** A member's `build` script. */
async function buildScript(dir: string): Promise<string | undefined> {
  const pkg = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as {
    scripts?: { build?: string };
  };
  return pkg.scripts?.build;
}

/**
 * Builds the app as `pnpm --filter catalyst-monitor build` does, then copies `dist/bin.js` with its
 * chunks and the log index's `dist/index-worker.js` (only npm dependencies stay external) into a private dir with its own `public/`, so a later build by
 * another test cannot pull files from under the running monitor. Returns that dir.
 *
 * The build script's two tsup runs are run with `--no-dts`: declaration files are not among the
 * copied files, and generating them was most of the build's CPU. A build script other than the
 * one known here is run as it is.
 */
export async function buildMonitorApp(): Promise<string> {
  // Inside apps/monitor (under the gitignored test-artifacts/) so the bin still finds hono and
  // @hono/node-server in apps/monitor/node_modules.
  await mkdir(join(MONITOR_DIR, "test-artifacts"), { recursive: true });
  const outDir = await mkdtemp(join(MONITOR_DIR, "test-artifacts", "app-"));
  await withBuildLock(async () => {
    const options = { maxBuffer: 16 * 1024 * 1024 };
    const known =
      (await buildScript(MONITOR_DIR)) === MONITOR_BUILD_SCRIPT &&
      (await buildScript(DASHBOARD_DIR)) === DASHBOARD_BUILD_SCRIPT;
    if (known) {
      await run("pnpm", ["exec", "tsup", "--no-dts"], { ...options, cwd: DASHBOARD_DIR });
      await run("pnpm", ["exec", "tsup", "--no-dts"], { ...options, cwd: MONITOR_DIR });
    } else await run("pnpm", ["run", "build"], { ...options, cwd: MONITOR_DIR });
    // bin.js, the chunks it loads (split: what only some flags need is its own chunk) and the log
    // index's index-worker.js.
    for (const name of await readdir(join(MONITOR_DIR, "dist")))
      if (name.endsWith(".js")) await copyFile(join(MONITOR_DIR, "dist", name), join(outDir, name));
    await cp(join(MONITOR_DIR, "dist", "public"), join(outDir, "public"), { recursive: true });
  });
  return outDir;
}

/** Saves a full-page screenshot as test-artifacts/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

/** A new page at 1400×900 that records console errors and failed requests. */
export async function openPage(browser: Browser, url: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const problems: string[] = [];
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error" && !/ERR_CONNECTION_REFUSED|Failed to load resource/.test(msg.text())) {
      problems.push(`console: ${msg.text()}`);
    }
  });
  await page.goto(url);
  return { page, problems };
}

/** Text of the status cell of a worker row, or null when the row is not shown. */
export function rowStatus(page: Page, orchestrator: string, worker: string): Promise<string | null> {
  return page.evaluate(
    ([o, w]) => {
      const row = Array.from(document.querySelectorAll("tr.worker")).find(
        (r) => r.dataset.orch === o && r.dataset.worker === w,
      );
      return row ? (row.querySelector(".col-status")?.textContent ?? "") : null;
    },
    [orchestrator, worker] as const,
  );
}

/** Waits until the row of a worker shows the status (or until `timeoutMs`). */
export async function waitForRowStatus(
  page: Page,
  orchestrator: string,
  worker: string,
  status: string,
  timeoutMs = 10_000,
) {
  await page.waitForFunction(
    ([o, w, s]) =>
      Array.from(document.querySelectorAll("tr.worker")).some(
        (r) =>
          r.dataset.orch === o && r.dataset.worker === w && r.querySelector(".col-status")?.textContent === s,
      ),
    [orchestrator, worker, status] as const,
    { timeout: timeoutMs },
  );
}

/** Waits until the connection indicator is in the given state. */
export async function waitForConnection(
  page: Page,
  state: "live" | "reconnecting" | "connecting",
  timeoutMs = 10_000,
) {
  await page.waitForSelector(`#connection[data-state="${state}"]`, { timeout: timeoutMs });
}

/** The visible worker tickets, in page order, as `orch/ticket`. */
export function visibleWorkers(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll("tr.worker")).map((r) => `${r.dataset.orch}/${r.dataset.worker}`),
  );
}

/** True when the first match of `first` comes before the first match of `second` in the document. */
export function comesBefore(page: Page, first: string, second: string): Promise<boolean> {
  return page.evaluate(
    ([a, b]) => {
      const x = document.querySelector(a);
      const y = document.querySelector(b);
      // 4 = Node.DOCUMENT_POSITION_FOLLOWING
      return !!x && !!y && (x.compareDocumentPosition(y) & 4) !== 0;
    },
    [first, second] as const,
  );
}

/** `document.body.dataset[key]`, or null. */
export function bodyData(page: Page, key: string): Promise<string | null> {
  return page.evaluate((k) => document.body.dataset[k] ?? null, key);
}

/** Waits until the text of the first match of `selector` differs from `before`. */
export async function waitForTextChange(
  page: Page,
  selector: string,
  before: string | null,
  timeoutMs = 5000,
) {
  await page.waitForFunction(
    ([sel, old]) => document.querySelector(sel)?.textContent !== old,
    [selector, before] as const,
    {
      timeout: timeoutMs,
    },
  );
}

/** Waits until `selector` matches exactly `count` elements. */
export async function waitForCount(page: Page, selector: string, count: number, timeoutMs = 10_000) {
  await page.waitForFunction(
    ([sel, n]) => document.querySelectorAll(sel).length === n,
    [selector, count] as const,
    {
      timeout: timeoutMs,
    },
  );
}

/** Waits until `selector` matches at least `count` elements. */
export async function waitForAtLeast(page: Page, selector: string, count: number, timeoutMs = 10_000) {
  await page.waitForFunction(
    ([sel, n]) => document.querySelectorAll(sel).length >= n,
    [selector, count] as const,
    {
      timeout: timeoutMs,
    },
  );
}

/** Waits until the header shows that frame `id` has been applied. */
export async function waitForLastId(page: Page, id: number, timeoutMs = 10_000) {
  await page.waitForFunction(
    (want) => document.querySelector("#snapshot-time")?.dataset.lastId === want,
    String(id),
    {
      timeout: timeoutMs,
    },
  );
}

/** Jumps (no smooth scrolling) to the top of the page. */
export async function scrollToTop(page: Page): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
}

/**
 * Waits until the visible workers are exactly `expected` (renders happen on the next animation
 * frame after an input), then returns what is shown, so the caller's assertion shows any diff.
 */
export async function settledVisibleWorkers(page: Page, expected: readonly string[], timeoutMs = 10_000) {
  await page
    .waitForFunction(
      (want) =>
        JSON.stringify(
          Array.from(document.querySelectorAll("tr.worker")).map(
            (r) => `${r.dataset.orch}/${r.dataset.worker}`,
          ),
        ) === want,
      JSON.stringify(expected),
      { timeout: timeoutMs },
    )
    .catch(() => {});
  return visibleWorkers(page);
}

/** Asserts the visible workers (`orch/ticket`, in page order) once the page has settled on them. */
export async function expectVisibleWorkers(page: Page, expected: readonly string[]): Promise<void> {
  expect(await settledVisibleWorkers(page, expected)).toEqual(expected);
}

/** A computed CSS property of the first match of `selector` (proves the stylesheet loaded). */
export function computedStyle(page: Page, selector: string, property: string): Promise<string | null> {
  return page.evaluate(
    ([sel, prop]) => {
      const node = document.querySelector(sel);
      return node ? getComputedStyle(node).getPropertyValue(prop) : null;
    },
    [selector, property] as const,
  );
}
