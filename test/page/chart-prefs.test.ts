/**
 * Chart preferences survive a reload (local storage): the time window, a channel's log-scale choice
 * (ticked on a linear channel, unticked on a pressure channel) and a hidden chart, which comes back with
 * "Show". A hidden chart keeps its data. In Chromium.
 */
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { ARTIFACTS_DIR, requireChromium, skipBrowser } from "../helpers/browser.js";
import { spawnServe, type RunningEmulator } from "../helpers/emulator.js";
import { card, launchChromium, openInstrumentPage, pageHook } from "../browser/page.js";

let emu: RunningEmulator | undefined;
afterAll(async () => {
  await emu?.stop();
});

type ChartState = { hidden: boolean; log: boolean; checked: boolean; distr: number | undefined; local: number };

/** A channel's chart as the page holds it: hidden or not, its y scale (uPlot distr 3 = log), its log box. */
const chart = (page: Page, name: string) =>
  page.evaluate((n) => {
    const c = (window as unknown as { atomscalePage: { chart: { channel(n: string): { box: HTMLElement; hidden: boolean; logScale: boolean; local: { t: number[] }; plotInfo?: { distr?: number } } | undefined } } }).atomscalePage.chart.channel(n);
    if (!c) return undefined;
    const box = c.box.querySelector<HTMLInputElement>(".log input")!;
    return { hidden: c.hidden, log: c.logScale, checked: box.checked, distr: c.plotInfo?.distr, local: c.local.t.length };
  }, name) as Promise<ChartState | undefined>;

describe("chart preferences", () => {
  it.skipIf(skipBrowser)("time window, log scale per channel and hidden charts survive a reload", async () => {
    requireChromium();
    emu = await spawnServe({ args: ["--memory"] });
    const browser = await launchChromium();
    try {
      const page = await openInstrumentPage(browser, `${emu.url}/`);
      await expect.poll(() => page.getByRole("status", { name: "Settings status" }).textContent()).toContain(emu.url);
      await card(page, 1).getByRole("button", { name: "Use simulated instrument" }).click();
      await expect.poll(async () => Object.keys(await pageHook.counts(page)).sort(), { timeout: 20_000 }).toEqual(["pressure", "temperature"]);
      // The defaults: 10 min; pressure (mbar) on a log axis, temperature linear.
      expect(await page.getByLabel("Time window").inputValue()).toBe("10 min");
      await expect.poll(() => chart(page, "pressure")).toMatchObject({ hidden: false, log: true, distr: 3 });
      await expect.poll(() => chart(page, "temperature")).toMatchObject({ hidden: false, log: false, distr: 1 });

      // The user's choices.
      await page.getByLabel("Time window").selectOption("1 h");
      await page.locator('figure[data-channel="temperature"]').getByLabel("log scale").check();
      await page.locator('figure[data-channel="pressure"]').getByLabel("log scale").uncheck();
      await expect.poll(() => chart(page, "pressure")).toMatchObject({ log: false, distr: 1 });
      await page.getByRole("button", { name: "Hide pressure", exact: true }).click();
      expect(await page.locator('figure[data-channel="pressure"]').isVisible()).toBe(false);
      const hiddenGroup = page.getByRole("group", { name: "Hidden charts" });
      expect(await hiddenGroup.getByRole("button").allTextContents()).toEqual(["Show pressure"]);
      // Hidden, it still takes its readings.
      const kept = (await chart(page, "pressure"))!.local;
      await expect.poll(async () => (await chart(page, "pressure"))!.local).toBeGreaterThan(kept);

      // A reload: the instrument comes back, and so do the choices.
      await page.reload();
      await expect.poll(() => card(page, 1).getByRole("status", { name: "Instrument 1 status" }).textContent(), { timeout: 20_000 }).toMatch(/^Connected/);
      await expect.poll(async () => Object.keys(await pageHook.counts(page)).sort(), { timeout: 20_000 }).toEqual(["pressure", "temperature"]);
      expect(await page.getByLabel("Time window").inputValue()).toBe("1 h");
      await expect.poll(() => chart(page, "temperature")).toMatchObject({ hidden: false, log: true, checked: true, distr: 3 });
      expect(await chart(page, "pressure")).toMatchObject({ hidden: true, log: false, checked: false });
      expect(await page.locator('figure[data-channel="pressure"]').isVisible()).toBe(false);
      await page.evaluate(() => scrollTo(0, 0));
      await page.screenshot({ path: join(ARTIFACTS_DIR, "page-chart-hidden-after-reload.png") });

      // "Show" brings it back, linear as it was left; the list of hidden charts empties.
      await page.getByRole("group", { name: "Hidden charts" }).getByRole("button", { name: "Show pressure" }).click();
      await expect.poll(() => chart(page, "pressure")).toMatchObject({ hidden: false, log: false, distr: 1 });
      expect(await page.getByRole("group", { name: "Hidden charts" }).isVisible()).toBe(false);
      // Shown again and reloaded: still shown, still linear.
      await page.reload();
      await expect.poll(() => chart(page, "pressure"), { timeout: 20_000 }).toMatchObject({ hidden: false, log: false, distr: 1 });
      expect(await page.getByLabel("Time window").inputValue()).toBe("1 h");
    } finally {
      await browser.close();
      await emu?.stop();
      emu = undefined;
    }
  }, 180_000);
});
