/**
 * Page helpers for browser suites that outlive one page load: withBrowserPage (test/helpers/browser.ts)
 * loads the bundle into the page it opens once; after a reload, or in a second tab of the same
 * context, the bundle has to be loaded again the same way (served at BUNDLE_PATH on the page's
 * origin by request interception, imported as an ES module, set as `window.AtomscaleStream`).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { BROWSER_BUNDLE, BUNDLE_PATH, CHROMIUM } from "../helpers/browser.js";
import { ROOT } from "../helpers/emulator.js";

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

// ---- the instrument page (demo/) with the fake navigator.serial ----

const PAGE_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic"];
const FAKE_SERIAL = join(ROOT, "test/fixtures/fake-serial.js");

export type Usb = { usbVendorId: number; usbProductId: number };

/** Launch Chromium (Debian's) for page tests. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: PAGE_ARGS, timeout: 60_000 });
}

/**
 * Open the instrument page served at `url` in a fresh context with the fake navigator.serial installed
 * and the library bundle loaded as `window.AtomscaleStream` (for simulators driven from the test).
 */
export async function openInstrumentPage(browser: Browser, url: string, viewport = { width: 1280, height: 800 }, beforeLoad?: (page: Page) => void): Promise<Page> {
  const code = await readFile(BROWSER_BUNDLE, "utf8");
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  await context.addInitScript({ path: FAKE_SERIAL });
  await context.route(`**${BUNDLE_PATH}`, (route) => route.fulfill({ status: 200, contentType: "text/javascript", body: code }));
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error(`[page] ${e.stack ?? e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && !/Failed to load resource|ERR_CONNECTION_REFUSED|net::ERR/.test(m.text())) console.error(`[page console] ${m.text()}`);
  });
  beforeLoad?.(page);
  await page.goto(url);
  await loadBundle(page);
  return page;
}

/**
 * Plug a simulated instrument into the fake serial bus as a USB device (`key` names it for the test).
 * `lines`: temperature = base + n (unique per line), pressure = (1 + n mod 9)·1e-7 mbar; other drivers: their defaults.
 */
export async function plugSimulator(page: Page, key: string, opts: { driver?: string; usb: Usb; base?: number; grant?: boolean; rateHz?: number }): Promise<void> {
  if (!(await page.evaluate(() => "AtomscaleStream" in window))) await loadBundle(page);
  await page.evaluate(
    ({ key, driver, usb, base, grant, rateHz }) => {
      const w = window as unknown as { __sims?: Record<string, unknown>; __fakeSerial: { deviceFrom(s: object): object; plug(d: object, i: object, o: object): unknown } };
      const sim = window.AtomscaleStream.createSimulator(driver, {
        rateHz,
        ...(driver === "lines" ? { value: (n: number, channel: string) => (channel === "temperature" ? base + n : (1 + (n % 9)) * 1e-7) } : {}),
      });
      const device = w.__fakeSerial.deviceFrom(sim);
      (w.__sims ??= {})[key] = { sim, device, usb };
      w.__fakeSerial.plug(device, usb, { grant });
    },
    { key, driver: opts.driver ?? "lines", usb: opts.usb, base: opts.base ?? 0, grant: opts.grant ?? false, rateHz: opts.rateHz ?? 20 },
  );
}

/** Unplug the device `key` (NetworkError on its reader; the port object is gone). */
export async function unplugSimulator(page: Page, key: string): Promise<void> {
  await page.evaluate((key) => {
    const w = window as unknown as { __sims: Record<string, { usb: Usb }>; __fakeSerial: { ports(): Array<{ getInfo(): Usb }>; unplug(p: unknown): void } };
    const usb = w.__sims[key]!.usb;
    const port = w.__fakeSerial.ports().find((p) => p.getInfo().usbVendorId === usb.usbVendorId && p.getInfo().usbProductId === usb.usbProductId);
    if (!port) throw new Error(`device ${key} is not plugged in`);
    w.__fakeSerial.unplug(port);
  }, key);
}

/** Plug the device `key` back in: a new port object, `connect` on navigator.serial. */
export async function replugSimulator(page: Page, key: string): Promise<void> {
  await page.evaluate((key) => {
    const w = window as unknown as { __sims: Record<string, { device: object; usb: Usb }>; __fakeSerial: { plug(d: object, i: object, o: object): unknown } };
    const s = w.__sims[key]!;
    w.__fakeSerial.plug(s.device, s.usb, {});
  }, key);
}

/** What the simulator `key` produced so far. */
export function producedBy(page: Page, key: string): Promise<Array<{ channel: string; value: number }>> {
  return page.evaluate((key) => (window as unknown as { __sims: Record<string, { sim: { produced: Array<{ channel: string; value: number }> } }> }).__sims[key]!.sim.produced.slice(), key);
}

/** Make the next "Connect" pick this device in the (fake) port chooser. */
export function chooseNext(page: Page, usb: Usb): Promise<void> {
  return page.evaluate((usb) => (window as unknown as { __fakeSerial: { chooseNext(i: Usb): void } }).__fakeSerial.chooseNext(usb), usb);
}

export interface RecordedRow {
  source: string;
  channel: string;
  t: number;
  value: number;
  units?: string;
}

/** The page's test hook (window.atomscalePage). */
export const pageHook = {
  recorded: (page: Page) => page.evaluate(() => (window as unknown as { atomscalePage: { recorded(): RecordedRow[] } }).atomscalePage.recorded()),
  csv: (page: Page) => page.evaluate(() => (window as unknown as { atomscalePage: { csv(): string } }).atomscalePage.csv()),
  dataId: (page: Page) => page.evaluate(() => (window as unknown as { atomscalePage: { active(): { dataId: string } | undefined } }).atomscalePage.active()?.dataId),
  platformId: (page: Page) => page.evaluate(() => (window as unknown as { atomscalePage: { platformId(): string | undefined } }).atomscalePage.platformId()),
  pending: (page: Page) => page.evaluate(() => (window as unknown as { atomscalePage: { stats(): { pendingSlices: number } | undefined } }).atomscalePage.stats()?.pendingSlices ?? -1),
  counts: (page: Page) => page.evaluate(() => (window as unknown as { atomscalePage: { chart: { counts(): Record<string, { local: number; server: number }> } } }).atomscalePage.chart.counts()),
};

/** The card of instrument `n` (1-based), as a locator. */
export const card = (page: Page, n: number) => page.getByRole("region", { name: `Instrument ${n}`, exact: true });
