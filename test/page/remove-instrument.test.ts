/**
 * Removing an instrument card removes its charts, and the platform's read-back leaves them out — across
 * a reload too; once no chart of the stream is left, the read-back requests stop, and a new instrument's
 * chart starts them again. Nothing the removed instruments sent is lost: after Stop the platform holds
 * every recorded reading, point by point. In Chromium, on PGlite and PostgreSQL.
 */
import type { Page } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { requireChromium, skipBrowser } from "../helpers/browser.js";
import { BACKENDS, emulatorOn, type RunningEmulator } from "../helpers/emulator.js";
import { readBack } from "../helpers/readback.js";
import { card, launchChromium, openInstrumentPage, pageHook } from "../browser/page.js";
import { expectServerEqualsRecorded } from "../browser/page-readback.js";

let emu: RunningEmulator | undefined;
afterAll(async () => {
  await emu?.stop();
});

const readBackInfo = (page: Page) => page.evaluate(() => (window as unknown as { atomscalePage: { readBack(): { platformId: string } | undefined } }).atomscalePage.readBack());
const chartNames = async (page: Page) => Object.keys(await pageHook.counts(page)).sort();
const figures = (page: Page, name: string) => page.locator(`figure[data-channel="${name}"]`).count();

describe.each(BACKENDS)("removing an instrument (%s)", (backend) => {
  it.skipIf(skipBrowser)("takes its charts away for good, stops the read-back when nothing is shown, and loses no reading", async () => {
    requireChromium();
    await emu?.stop();
    emu = await emulatorOn(backend);
    // Read-back answers, counted as they arrive (the count goes on across the reload).
    let readBacks = 0;
    let readBackRequests = 0;
    const browser = await launchChromium();
    try {
      const page = await openInstrumentPage(browser, `${emu.url}/`, undefined, (p) => {
        p.on("request", (r) => {
          if (r.url().includes("/timeseries/")) readBackRequests++;
        });
        p.on("response", (r) => {
          if (r.url().includes("/timeseries/") && r.status() === 200) readBacks++;
        });
      });
      const moreReadBacks = async (n: number) => {
        const from = readBacks;
        await expect.poll(() => readBacks, { timeout: 30_000 }).toBeGreaterThanOrEqual(from + n);
      };
      await expect.poll(() => page.getByRole("status", { name: "Settings status" }).textContent()).toContain(emu.url);

      // Instrument 1: simulated plotter lines (temperature, pressure); instrument 2: a simulated Pfeiffer
      // gauge, whose "pressure" clashes and is recorded as "pressure (Instrument 2)".
      await card(page, 1).getByRole("button", { name: "Use simulated instrument" }).click();
      await expect.poll(async () => (await pageHook.counts(page)).pressure?.local ?? 0).toBeGreaterThan(0);
      await page.getByRole("button", { name: "Add instrument" }).click();
      await card(page, 2).getByLabel("Driver").selectOption("pfeiffer-tpg26x");
      await card(page, 2).getByRole("button", { name: "Use simulated instrument" }).click();
      await expect.poll(() => chartNames(page), { timeout: 20_000 }).toEqual(["pressure", "pressure (Instrument 2)", "temperature"]);

      await page.getByLabel("Stream name").fill("remove an instrument");
      await page.getByRole("button", { name: "Start", exact: true }).click();
      await expect.poll(() => page.getByRole("status", { name: "Stream status" }).textContent(), { timeout: 20_000 }).toMatch(/^Recording "remove an instrument" to the platform/);
      const dataId = (await pageHook.dataId(page))!;
      await expect.poll(async () => (await pageHook.counts(page))["pressure (Instrument 2)"]?.server ?? 0, { timeout: 30_000 }).toBeGreaterThan(2);

      // Remove instrument 2: its chart goes, and later read-backs (which still hold its channel) do not bring it back.
      await card(page, 2).getByRole("button", { name: "Remove" }).click();
      await expect.poll(() => figures(page, "pressure (Instrument 2)")).toBe(0);
      expect(await chartNames(page)).toEqual(["pressure", "temperature"]);
      const serverBefore = (await pageHook.counts(page)).temperature!.server;
      await moreReadBacks(3);
      expect(await chartNames(page)).toEqual(["pressure", "temperature"]);
      expect(await figures(page, "pressure (Instrument 2)")).toBe(0);
      await expect.poll(async () => (await pageHook.counts(page)).temperature!.server, { timeout: 30_000 }).toBeGreaterThan(serverBefore);

      // A reload: instrument 1 comes back, the read-back runs again, and the removed channel stays away.
      await page.reload();
      await expect.poll(() => card(page, 1).getByRole("status", { name: "Instrument 1 status" }).textContent(), { timeout: 20_000 }).toMatch(/^Connected/);
      expect(await card(page, 2).count(), "the removed card stays removed").toBe(0);
      await expect.poll(async () => (await pageHook.counts(page)).temperature?.server ?? 0, { timeout: 30_000 }).toBeGreaterThan(0);
      await moreReadBacks(2);
      expect(await chartNames(page)).toEqual(["pressure", "temperature"]);

      // Remove instrument 1 too: no chart is left, and the read-back requests stop.
      await card(page, 1).getByRole("button", { name: "Remove" }).click();
      await expect.poll(() => chartNames(page)).toEqual([]);
      await expect.poll(() => readBackInfo(page), { timeout: 10_000 }).toBeUndefined();
      expect(await page.getByText("Connect an instrument (or a simulated one): its channels appear here.").isVisible()).toBe(true);
      // A request sent just before the poll was stopped may be reported a little later: let it arrive first.
      await new Promise((r) => setTimeout(r, 1_500));
      const requestsThen = readBackRequests;
      // An absence: a poll every second would have sent three by now.
      await new Promise((r) => setTimeout(r, 3_500));
      expect(readBackRequests, "read-back requests after the last chart went").toBe(requestsThen);

      // A new instrument: its chart appears and the read-back starts again.
      await page.getByRole("button", { name: "Add instrument" }).click();
      const fresh = page.getByRole("region", { name: /^Instrument \d+$/ });
      await fresh.getByRole("button", { name: "Use simulated instrument" }).click();
      await expect.poll(async () => (await chartNames(page)).length, { timeout: 20_000 }).toBeGreaterThan(0);
      await expect.poll(() => readBackInfo(page), { timeout: 20_000 }).toMatchObject({ platformId: dataId });
      await moreReadBacks(1);

      await page.getByRole("button", { name: "Stop", exact: true }).click();
      await expect.poll(() => page.getByRole("status", { name: "Stream status" }).textContent(), { timeout: 30_000 }).toMatch(/^Stopped: the stream is finalized/);
      // Every reading of every instrument, removed ones included, is on the platform once. The removed
      // instrument's channel was complete in the CSV rows long before the reload: exact, point by point.
      // The others may miss, in the CSV rows only, a batch whose copy was still being stored at the reload
      // (the README's one CSV window): each row is on the platform, and nothing there is doubled.
      const rows = await pageHook.recorded(page);
      const back = await readBack(emu, dataId);
      const removed = rows.filter((r) => r.channel === "pressure (Instrument 2)");
      expect(removed.length).toBeGreaterThan(2);
      expectServerEqualsRecorded({ properties: { "pressure (Instrument 2)": back.properties["pressure (Instrument 2)"]! } }, removed);
      for (const [channel, p] of Object.entries(back.properties)) {
        const onPlatform = new Map(p.unix_timestamp_ms.map((ms, i) => [ms, p.values[i]]));
        expect(onPlatform.size, `${channel}: no point twice`).toBe(p.values.length);
        const mine = rows.filter((r) => r.channel === channel);
        expect(mine.length, `${channel}: recorded rows`).toBeGreaterThan(0);
        for (const r of mine) expect(onPlatform.get(Math.round(r.t * 1000)), `${channel} at ${r.t}`).toBe(r.value);
      }
      expect(Object.keys(back.properties).sort()).toEqual([...new Set(rows.map((r) => r.channel))].sort());
    } finally {
      await browser.close();
      await emu?.stop();
      emu = undefined;
    }
  }, 240_000);
});
