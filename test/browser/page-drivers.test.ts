/**
 * Every driver on the page (issue 14): the Driver list shows every id in `DRIVERS`, and the simulated
 * instrument of every id in `SIMULATOR_IDS` streams through the page: a short run each, Start → Stop, the
 * platform holding exactly what the page recorded, and the page having recorded what the simulator sent.
 */
import { afterAll, describe, expect, it } from "vitest";
import { DRIVERS, SIMULATOR_IDS } from "../../lib/serial/index.js";
import { requireChromium, skipBrowser } from "../helpers/browser.js";
import { spawnServe, type RunningEmulator } from "../helpers/emulator.js";
import { readBack } from "../helpers/readback.js";
import { card, launchChromium, openInstrumentPage, pageHook } from "./page.js";
import { byChannel, expectServerEqualsRecorded } from "./page-readback.js";

let emu: RunningEmulator | undefined;
afterAll(async () => {
  await emu?.stop();
});

describe("the instrument page and the drivers", () => {
  it.skipIf(skipBrowser)("lists every driver, and each simulator streams to the platform exactly", async () => {
    requireChromium();
    emu = await spawnServe({ args: ["--memory"] });
    const browser = await launchChromium();
    try {
      const page = await openInstrumentPage(browser, `${emu.url}/`);
      await expect.poll(() => page.getByRole("status", { name: "Settings status" }).textContent()).toContain(emu.url);
      const one = card(page, 1);
      expect(await one.getByLabel("Driver").locator("option").evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(Object.keys(DRIVERS));

      for (const id of SIMULATOR_IDS) {
        await one.getByLabel("Driver").selectOption(id);
        await one.getByRole("button", { name: "Use simulated instrument" }).click();
        await expect.poll(() => one.getByRole("status", { name: "Instrument 1 status" }).textContent(), { message: id }).toMatch(new RegExp(`^Connected: simulated ${id} instrument`));
        await page.getByLabel("Stream name").fill(`simulated ${id}`);
        await page.getByRole("button", { name: "Start", exact: true }).click();
        await expect.poll(() => page.getByRole("status", { name: "Stream status" }).textContent(), { message: id }).toMatch(/^Recording /);
        const dataId = (await pageHook.dataId(page))!;
        await expect.poll(async () => (await pageHook.recorded(page)).length, { timeout: 30_000, message: `${id}: readings recorded` }).toBeGreaterThanOrEqual(5);
        await page.getByRole("button", { name: "Stop", exact: true }).click();
        await expect.poll(() => page.getByRole("status", { name: "Stream status" }).textContent(), { timeout: 30_000, message: id }).toMatch(/^Stopped: the stream is finalized/);
        const rows = await pageHook.recorded(page);
        const produced = await page.evaluate(
          () => (window as unknown as { atomscalePage: { sources(): Array<{ session?: { transport: { simulator?: { produced: Array<{ channel: string; value: number }> } } } }> } }).atomscalePage.sources()[0]!.session!.transport.simulator!.produced.slice(),
        );
        await one.getByRole("button", { name: "Disconnect" }).click();

        expectServerEqualsRecorded(await readBack(emu, dataId), rows);
        // The page recorded what the instrument sent from Start to Stop: a run of its output, in order, nothing
        // missing or doubled inside it (what came before Start was only shown).
        for (const [channel, list] of byChannel(rows)) {
          const sent = produced.filter((p) => p.channel === channel).map((p) => p.value);
          const got = list.map((r) => r.value);
          if (sent.length > 0) {
            const starts = sent.map((_, k) => k).filter((k) => got.every((v, i) => sent[k + i] === v));
            expect(starts.length, `${id} ${channel}: ${JSON.stringify(got)} is a run of what the simulator sent`).toBeGreaterThan(0);
          }
          else {
            // The simulator names the channel differently from the driver: the values, in order, still match.
            const all = produced.map((p) => p.value);
            let at = 0;
            for (const v of got) {
              at = all.indexOf(v, at);
              expect(at, `${id} ${channel}: ${v} was sent`).toBeGreaterThanOrEqual(0);
              at++;
            }
          }
        }
      }
    } finally {
      await browser.close();
    }
  }, 600_000);
});
