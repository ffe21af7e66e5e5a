/**
 * Test harness: run library code in a real headless Chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core — no browser download), with the test bundle `dist/test/atomscale-stream.js` (test/browser/bundle.ts:
 * the published browser bundle's names plus test fixtures; `npm run build` makes it) loaded into the page as `window.AtomscaleStream`.
 *
 *   await withBrowserPage(`${emu.url}/healthz`, (page) =>
 *     page.evaluate(async ({ url, apiKey }) => {
 *       const client = new window.AtomscaleStream.AtomscaleClient({ apiKey, endpoint: url });
 *       return client.initializeStream({ pointsPerChunk: 3 });
 *     }, { url: emu.url, apiKey: emu.apiKey }), { screenshot: "my-test" });
 *
 * Open a page on the emulator (e.g. `/healthz`) so the page is same-origin with it. The bundle is served
 * to the page at `<page origin>/__atomscale-stream.js` by request interception (the server never sees
 * that request) and imported as a real ES module, so `window.AtomscaleStream` is its namespace.
 *
 * Under CI=true a missing Chromium is a failure; elsewhere suites skip: `it.skipIf(skipBrowser)(…)`.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { CI, ROOT } from "./emulator.js";

declare global {
  interface Window {
    /** The test bundle's exports (test/browser/bundle.ts), set by withBrowserPage. */
    AtomscaleStream: typeof import("../browser/bundle.js");
  }
}

/** The Chromium binary: CHROMIUM_PATH, else Debian's (`apt-get install chromium`; .ci/run does it). */
export const CHROMIUM: string = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
export const hasChromium: boolean = existsSync(CHROMIUM);
/** Skip browser tests (only outside CI, when Chromium is missing). */
export const skipBrowser: boolean = !hasChromium && !CI;
if (skipBrowser) {
  console.warn(`Browser tests skipped: ${CHROMIUM} is missing (apt-get install -y chromium, or set CHROMIUM_PATH).`);
}

/** The browser bundle that withBrowserPage loads. */
export const BROWSER_BUNDLE = join(ROOT, "dist/test/atomscale-stream.js");
/** Where screenshots go (git-ignored; made on demand). */
export const ARTIFACTS_DIR = join(ROOT, "test-artifacts");
/** The path, on the page's origin, at which the bundle is served to the page. */
export const BUNDLE_PATH = "/__atomscale-stream.js";

const LAUNCH_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
];

/** Throws the reason browser tests cannot run (no Chromium, no bundle); a no-op when they can. */
export function requireChromium(): void {
  if (!hasChromium) {
    throw new Error(
      `Chromium is required${CI ? " under CI" : ""}: ${CHROMIUM} is missing. ` +
        "Install Debian's (apt-get install -y chromium; .ci/run does it) or set CHROMIUM_PATH. Never `npx playwright install`.",
    );
  }
}

function artifactPath(name: string): string {
  const safe = name.replace(/\.png$/i, "").replace(/[^\w.-]+/g, "_");
  return join(ARTIFACTS_DIR, `${safe}.png`);
}

/**
 * Launch Chromium, open `pageUrl`, load the browser bundle as `window.AtomscaleStream`, run `fn(page)`,
 * then close everything (also when `fn` throws). With `screenshot`, saves test-artifacts/<screenshot>.png
 * after `fn` (also when it throws, best effort, to help diagnose). The page's console errors and uncaught
 * errors are forwarded to the test's stderr as they happen.
 */
export async function withBrowserPage<T>(
  pageUrl: string,
  fn: (page: Page) => Promise<T>,
  opts: { screenshot?: string } = {},
): Promise<T> {
  requireChromium();
  const code = await readFile(BROWSER_BUNDLE, "utf8").catch((cause: unknown) => {
    throw new Error(`the browser bundle ${BROWSER_BUNDLE} is missing: run \`npm run build\` first.`, { cause });
  });

  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: LAUNCH_ARGS,
    timeout: 30_000,
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1024, height: 640 } });
    const page = await context.newPage();
    page.on("console", (msg) => {
      if (msg.type() !== "error") return;
      const { url, lineNumber } = msg.location();
      console.error(`[chromium console.error] ${msg.text()}${url ? ` (${url}:${lineNumber + 1})` : ""}`);
    });
    page.on("pageerror", (err) => console.error(`[chromium uncaught] ${err.stack ?? err.message}`));
    page.on("crash", () => console.error("[chromium] the page crashed"));

    const bundleUrl = new URL(BUNDLE_PATH, pageUrl).href;
    await page.route(bundleUrl, (route) =>
      route.fulfill({ status: 200, contentType: "text/javascript; charset=utf-8", body: code }),
    );

    const response = await page.goto(pageUrl, { waitUntil: "load" });
    if (!response || !response.ok()) {
      throw new Error(`withBrowserPage: opening ${pageUrl} answered ${response ? response.status() : "nothing"}.`);
    }
    // A string, not a function: Vitest rewrites `import()` in test code (to __vite_ssr_dynamic_import__),
    // which would then be undefined in the page.
    const exported = await page.evaluate<string[]>(
      `import(${JSON.stringify(bundleUrl)}).then((m) => { window.AtomscaleStream = m; return Object.keys(m); })`,
    );
    if (exported.length === 0) throw new Error(`withBrowserPage: the browser bundle exports nothing (${BROWSER_BUNDLE}).`);

    let result: T;
    try {
      result = await fn(page);
    } catch (err) {
      if (opts.screenshot) {
        await mkdir(ARTIFACTS_DIR, { recursive: true });
        await page.screenshot({ path: artifactPath(opts.screenshot), fullPage: true }).catch(() => {});
      }
      throw err;
    }
    if (opts.screenshot) {
      await mkdir(ARTIFACTS_DIR, { recursive: true });
      await page.screenshot({ path: artifactPath(opts.screenshot), fullPage: true });
    }
    return result;
  } finally {
    await browser.close().catch(() => {});
  }
}
