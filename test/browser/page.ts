/**
 * Page helpers for browser suites that outlive one page load: withBrowserPage (test/helpers/browser.ts)
 * loads the bundle into the page it opens once; after a reload, or in a second tab of the same
 * context, the bundle has to be loaded again the same way (served at BUNDLE_PATH on the page's
 * origin by request interception, imported as an ES module, set as `window.AtomscaleStream`).
 */
import { readFile } from "node:fs/promises";
import type { Page } from "playwright-core";
import { BROWSER_BUNDLE, BUNDLE_PATH } from "../helpers/browser.js";

/** Import the bundle into the current document as `window.AtomscaleStream` (the route must be in place). */
export async function loadBundle(page: Page): Promise<void> {
  const bundleUrl = new URL(BUNDLE_PATH, page.url()).href;
  // A string, not a function: Vitest rewrites `import()` in test code.
  const exported = await page.evaluate<string[]>(
    `import(${JSON.stringify(bundleUrl)}).then((m) => { window.AtomscaleStream = m; return Object.keys(m); })`,
  );
  if (exported.length === 0) throw new Error(`loadBundle: the browser bundle exports nothing (${BROWSER_BUNDLE}).`);
}

/** Reload the page (a real reload: the document, its objects and its connections go away) and load the bundle again. */
export async function reloadWithBundle(page: Page): Promise<void> {
  const response = await page.reload({ waitUntil: "load" });
  if (!response || !response.ok()) throw new Error(`reload of ${page.url()} answered ${response ? response.status() : "nothing"}.`);
  await loadBundle(page);
}

/** A second tab in the same browser context (same origin storage, same Web Locks), on the same URL, with the bundle. */
export async function openTab(page: Page): Promise<Page> {
  const code = await readFile(BROWSER_BUNDLE, "utf8");
  const tab = await page.context().newPage();
  tab.on("pageerror", (err) => console.error(`[chromium uncaught, second tab] ${err.stack ?? err.message}`));
  await tab.route(new URL(BUNDLE_PATH, page.url()).href, (route) =>
    route.fulfill({ status: 200, contentType: "text/javascript; charset=utf-8", body: code }),
  );
  const response = await tab.goto(page.url(), { waitUntil: "load" });
  if (!response || !response.ok()) throw new Error(`openTab: ${page.url()} answered ${response ? response.status() : "nothing"}.`);
  await loadBundle(tab);
  return tab;
}
