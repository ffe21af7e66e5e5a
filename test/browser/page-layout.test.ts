/**
 * The page on a laptop and on a phone (issue 14): no horizontal scroll at 390 × 844, charts within the
 * viewport at 1280 × 800 and after a resize (ResizeObserver), charts first once connected, a log axis for
 * pressure units and for a channel where the user ticks it, a legend with current values, pause/resume and
 * the time window, no 404 (favicon). Screenshots in test-artifacts/.
 */
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { ARTIFACTS_DIR, requireChromium, skipBrowser } from "../helpers/browser.js";
import { spawnServe, type RunningEmulator } from "../helpers/emulator.js";
import { card, launchChromium, openInstrumentPage, pageHook } from "./page.js";

let emu: RunningEmulator | undefined;
afterAll(async () => {
  await emu?.stop();
});

type ChartInfo = { name: string; left: number; right: number; top: number; plotWidth: number; boxWidth: number; distr: number | undefined; log: boolean };

/** Each channel chart's place, its drawn width and y scale. */
const charts = (page: Page) =>
  page.evaluate(() => {
    const hook = (window as unknown as { atomscalePage: { chart: { counts(): Record<string, unknown>; channel(n: string): { box: HTMLElement; logScale: boolean; plotInfo?: { width: number; distr?: number } } } } }).atomscalePage.chart;
    return Object.keys(hook.counts()).map((name) => {
      const c = hook.channel(name);
      const r = c.box.getBoundingClientRect();
      const plot = c.box.querySelector(".plot") as HTMLElement;
      return { name, left: r.left, right: r.right, top: r.top + scrollY, plotWidth: c.plotInfo?.width ?? 0, boxWidth: plot.clientWidth, distr: c.plotInfo?.distr, log: c.logScale };
    });
  }) as Promise<ChartInfo[]>;

const overflow = (page: Page) => page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));

async function chartsFit(page: Page, width: number) {
  await expect.poll(async () => (await charts(page)).every((c) => c.plotWidth > 0 && c.plotWidth <= c.boxWidth && c.boxWidth - c.plotWidth <= 2 && c.left >= 0 && c.right <= width), { timeout: 15_000 }).toBe(true);
}

describe("the instrument page's layout", () => {
  it.skipIf(skipBrowser)("phone and laptop: no sideways scroll, charts in view and resizing, log axis for pressure, legend values, pause, window, no 404", async () => {
    requireChromium();
    emu = await spawnServe({ args: ["--memory"] });
    const browser = await launchChromium();
    try {
      const missing: string[] = [];
      const page = await openInstrumentPage(browser, `${emu.url}/`, { width: 390, height: 844 }, (p) =>
        p.on("response", (r) => {
          if (r.status() === 404) missing.push(r.url());
        }),
      );
      await expect.poll(() => page.getByRole("status", { name: "Settings status" }).textContent()).toContain(emu.url);

      // Driver-specific fields only for their driver.
      const one = card(page, 1);
      expect(await one.getByLabel("Command (SCPI)").count()).toBe(0);
      await one.getByLabel("Driver").selectOption("scpi");
      expect(await one.getByLabel("Command (SCPI)").inputValue()).toBe("MEAS:TEMP?");
      await one.getByLabel("Driver").selectOption("lines");
      expect(await one.getByLabel("Command (SCPI)").count()).toBe(0);

      // The Channels field names only what the instrument leaves unnamed: its header wins, and the card says so.
      await one.getByLabel("Channels").fill("a:C, b:mbar");
      await one.getByRole("button", { name: "Use simulated instrument" }).click();
      await expect.poll(async () => (await pageHook.counts(page)).pressure?.local ?? 0).toBeGreaterThan(0); // instrument 1 owns "pressure"
      await expect.poll(() => one.getByLabel("Instrument 1 notes").textContent()).toBe(
        "The instrument names its own channels (temperature, pressure): its header wins over the Channels field, which names only the columns the instrument leaves unnamed.",
      );
      // The raw view: the lines as received, with their receipt times.
      await one.getByText("Raw input").click();
      await expect.poll(() => one.getByLabel("Instrument 1 raw input").locator("li").allTextContents()).toContainEqual(expect.stringMatching(/^\d\d:\d\d:\d\d ← # temperature\[°C\] pressure\[mbar\]$/));
      await one.getByText("Raw input").click();
      await page.getByRole("button", { name: "Add instrument" }).click();
      await card(page, 2).getByLabel("Driver").selectOption("pfeiffer-tpg26x");
      expect(await card(page, 2).getByLabel("Gauge (1–6)").count()).toBe(1);
      await card(page, 2).getByRole("button", { name: "Use simulated instrument" }).click();
      await expect.poll(async () => Object.keys(await pageHook.counts(page)).sort(), { timeout: 15_000 }).toEqual(["pressure", "pressure (Instrument 2)", "temperature"]);

      // Phone: nothing wider than the screen.
      await chartsFit(page, 390);
      expect(await overflow(page)).toEqual({ scroll: 390, client: 390 });
      await page.evaluate(() => scrollTo(0, 0));
      await page.screenshot({ path: join(ARTIFACTS_DIR, "page-390x844.png") });
      await page.screenshot({ path: join(ARTIFACTS_DIR, "page-390x844-full.png"), fullPage: true });

      // Pressure in mbar: a log axis (uPlot distr 3); temperature: linear until the user ticks it.
      const byName = async () => Object.fromEntries((await charts(page)).map((c) => [c.name, c]));
      expect((await byName()).pressure).toMatchObject({ log: true, distr: 3 });
      expect((await byName())["pressure (Instrument 2)"]).toMatchObject({ log: true, distr: 3 });
      expect((await byName()).temperature).toMatchObject({ log: false, distr: 1 });
      const temperature = page.locator('figure[data-channel="temperature"]');
      await temperature.getByLabel("log scale").check();
      await expect.poll(async () => (await byName()).temperature?.distr).toBe(3);
      await temperature.getByLabel("log scale").uncheck();
      await expect.poll(async () => (await byName()).temperature?.distr).toBe(1);

      // The legend shows current values without hovering; the readout a value, units and age.
      expect(await temperature.getByLabel("Legend of temperature").textContent()).toMatch(/instrument \d+(\.\d+)? °C/);
      expect(await temperature.getByLabel("Latest temperature").textContent()).toMatch(/^\d+(\.\d+)? °C (now|\d+ s ago)$/);

      // Laptop: charts first (above the fold once connected), within the viewport.
      await page.setViewportSize({ width: 1280, height: 800 });
      await chartsFit(page, 1280);
      expect(await overflow(page)).toEqual({ scroll: 1280, client: 1280 });
      for (const c of await charts(page)) if (c.name !== "temperature") expect(c.top, `${c.name} chart starts above the fold`).toBeLessThan(800);
      expect(await one.getByLabel("Baud rate").isVisible()).toBe(false); // settings folded into the summary
      await page.evaluate(() => scrollTo(0, 0));
      await page.screenshot({ path: join(ARTIFACTS_DIR, "page-1280x800.png") });
      await page.screenshot({ path: join(ARTIFACTS_DIR, "page-1280x800-full.png"), fullPage: true });

      // A narrower window (one column of charts): every chart follows its box.
      const wide = (await charts(page))[0]!.plotWidth;
      await page.setViewportSize({ width: 820, height: 800 });
      await chartsFit(page, 820);
      expect((await charts(page))[0]!.plotWidth).not.toBe(wide); // one column now: each chart took its new box's width
      expect(await overflow(page)).toEqual({ scroll: 820, client: 820 });

      // Pause stops the drawing, not the reading; the time window offers 1 min … all.
      expect(await page.getByLabel("Time window").locator("option").allTextContents()).toEqual(["1 min", "10 min", "1 h", "all"]);
      await page.getByLabel("Time window").selectOption("all");
      await page.getByRole("button", { name: "Pause" }).click();
      expect(await page.getByRole("button", { name: "Resume" }).getAttribute("aria-pressed")).toBe("true");
      const before = (await pageHook.counts(page)).temperature!.local;
      await expect.poll(async () => (await pageHook.counts(page)).temperature!.local).toBeGreaterThan(before);
      await page.getByRole("button", { name: "Resume" }).click();
      expect(await page.getByRole("button", { name: "Pause" }).getAttribute("aria-pressed")).toBe("false");

      expect(missing, "no request answered 404 (favicon included)").toEqual([]);
    } finally {
      await browser.close();
    }
  }, 180_000);
});
