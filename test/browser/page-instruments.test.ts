/**
 * Several instruments, one stream (issue 14), in Chromium with the fake navigator.serial: two USB devices
 * (`lines` simulators) and a simulated Lake Shore feed one stream; one device is unplugged and plugged back
 * while the others go on; Stop. The platform holds exactly what the page recorded, channel by channel, and
 * the CSV download holds the same rows. A channel name sent by two instruments is prefixed for the second.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { parseCsv } from "../../demo/src/recording.ts";
import { ARTIFACTS_DIR, requireChromium, skipBrowser } from "../helpers/browser.js";
import { BACKENDS, emulatorOn, http, spawnServe, type RunningEmulator } from "../helpers/emulator.js";
import { readBack } from "../helpers/readback.js";
import { card, chooseNext, launchChromium, openInstrumentPage, pageHook, plugSimulator, producedBy, replugSimulator, unplugSimulator, type RecordedRow } from "./page.js";
import { expectServerEqualsRecorded } from "./page-readback.js";

const A = { usbVendorId: 0x2341, usbProductId: 0x0043 };
const B = { usbVendorId: 0x0403, usbProductId: 0x6001 };

let emu: RunningEmulator | undefined;
afterAll(async () => {
  await emu?.stop();
});

const rowsOf = (rows: RecordedRow[], source: string, channel?: string) => rows.filter((r) => r.source === source && (channel === undefined || r.channel === channel));

async function connectCard(page: Page, n: number, usb: typeof A) {
  const c = card(page, n);
  await c.getByLabel("Driver").selectOption("lines");
  // Connected mid-stream, the page misses each instrument's header line: the user names the columns.
  await c.getByLabel("Channels").fill("temperature:C, pressure:mbar");
  await chooseNext(page, usb);
  await c.getByRole("button", { name: "Connect", exact: true }).click();
  await expect.poll(() => c.getByRole("status", { name: `Instrument ${n} status` }).textContent()).toMatch(/^Connected: serial port/);
}

describe.each(BACKENDS)("the instrument page: several instruments, one stream (%s)", (backend) => {
  it.skipIf(skipBrowser)("two serial devices and a simulator; one unplugged and replugged; read-back and CSV exact per channel", async () => {
    requireChromium();
    await emu?.stop();
    emu = await emulatorOn(backend);
    const browser = await launchChromium();
    try {
      const page = await openInstrumentPage(browser, `${emu.url}/`);
      await expect.poll(() => page.getByRole("status", { name: "Settings status" }).textContent()).toContain(emu.url);
      await plugSimulator(page, "A", { usb: A, base: 1000 });
      await plugSimulator(page, "B", { usb: B, base: 50_000 });

      await connectCard(page, 1, A);
      // Instrument 1 sends first, so it owns the plain names.
      await expect.poll(async () => (await pageHook.counts(page)).temperature?.local ?? 0).toBeGreaterThan(0);
      await page.getByRole("button", { name: "Add instrument" }).click();
      await connectCard(page, 2, B);
      await page.getByRole("button", { name: "Add instrument" }).click();
      await card(page, 3).getByLabel("Driver").selectOption("lakeshore-33x");
      await card(page, 3).getByRole("button", { name: "Use simulated instrument" }).click();
      await expect.poll(() => card(page, 3).getByRole("status", { name: "Instrument 3 status" }).textContent()).toMatch(/^Connected: simulated lakeshore-33x/);
      // The clash is said in the card, and the second instrument's channels are prefixed.
      await expect.poll(() => card(page, 2).getByLabel("Instrument 2 notes").textContent()).toContain('recorded as "temperature (Instrument 2)"');
      // Once connected, the serial settings fold into a one-line summary.
      expect(await card(page, 1).getByLabel("Baud rate").isVisible()).toBe(false);
      expect(await card(page, 1).getByLabel("Instrument 1 summary").textContent()).toMatch(/115200 8N1 \(USB 2341:0043\)/);

      await page.getByLabel("Stream name").fill("three instruments");
      await page.getByRole("button", { name: "Start", exact: true }).click();
      await expect.poll(() => page.getByRole("status", { name: "Stream status" }).textContent()).toMatch(/^Recording "three instruments"/);
      const dataId = (await pageHook.dataId(page))!;
      await expect.poll(async () => rowsOf(await pageHook.recorded(page), "Instrument 1").length, { timeout: 20_000 }).toBeGreaterThan(40);
      await expect.poll(async () => rowsOf(await pageHook.recorded(page), "Instrument 3").length, { timeout: 20_000 }).toBeGreaterThan(5);

      // Unplug instrument 1: it waits; the other two go on.
      await unplugSimulator(page, "A");
      await expect.poll(() => card(page, 1).getByRole("status", { name: "Instrument 1 status" }).textContent()).toMatch(/^Unplugged/);
      await expect.poll(() => page.getByRole("status", { name: "Instruments" }).textContent()).toContain("Instrument 1: unplugged, waiting");
      const whileUnplugged = await pageHook.recorded(page);
      await expect.poll(async () => rowsOf(await pageHook.recorded(page), "Instrument 2").length, { timeout: 20_000 }).toBeGreaterThan(rowsOf(whileUnplugged, "Instrument 2").length + 20);
      await expect.poll(async () => rowsOf(await pageHook.recorded(page), "Instrument 3").length, { timeout: 20_000 }).toBeGreaterThan(rowsOf(whileUnplugged, "Instrument 3").length + 3);
      expect(rowsOf(await pageHook.recorded(page), "Instrument 1").length, "nothing read from an unplugged device").toBe(rowsOf(whileUnplugged, "Instrument 1").length);
      await page.screenshot({ path: join(ARTIFACTS_DIR, `page-instruments-unplugged-${backend}.png`), fullPage: true });

      // Plugged back in (a new port object): it connects by itself and goes on in the same stream.
      await replugSimulator(page, "A");
      await expect.poll(() => card(page, 1).getByRole("status", { name: "Instrument 1 status" }).textContent()).toMatch(/^Connected/);
      await expect.poll(async () => rowsOf(await pageHook.recorded(page), "Instrument 1").length, { timeout: 20_000 }).toBeGreaterThan(rowsOf(whileUnplugged, "Instrument 1").length + 20);
      // The raw view of instrument 1 tells the unplug among the lines received (with their receipt times).
      await card(page, 1).getByText("Raw input").click();
      const raw = await card(page, 1).getByLabel("Instrument 1 raw input").locator("li").allTextContents();
      expect(raw).toContainEqual(expect.stringMatching(/^\d\d:\d\d:\d\d ⚠ The instrument was unplugged \(NetworkError\)\.$/));
      expect(raw).toContainEqual(expect.stringMatching(/^\d\d:\d\d:\d\d ← 1\d{3}\.\d\d \d\.\d{3}e-7$/));

      await page.getByRole("button", { name: "Stop", exact: true }).click();
      await expect.poll(() => page.getByRole("status", { name: "Stream status" }).textContent(), { timeout: 30_000 }).toMatch(/^Stopped: the stream is finalized/);
      const rows = await pageHook.recorded(page);

      // The platform holds exactly what the page recorded, per channel.
      const back = await readBack(emu, dataId);
      expectServerEqualsRecorded(back, rows);
      expect(Object.keys(back.properties).sort()).toEqual(["pressure", "pressure (Instrument 2)", "temperature", "temperature (Instrument 2)", "temperature_A"]);
      expect(back.properties["temperature_A"]!.units).toBe("K");
      expect(back.properties["pressure (Instrument 2)"]!.units).toBe("mbar");

      // And what was recorded is what each instrument said: in order, nothing doubled, each line whole.
      for (const [source, key, base] of [["Instrument 1", "A", 1000], ["Instrument 2", "B", 50_000]] as const) {
        const temps = rowsOf(rows, source).filter((r) => r.channel.startsWith("temperature"));
        const pressures = rowsOf(rows, source).filter((r) => r.channel.startsWith("pressure"));
        expect(pressures.length).toBe(temps.length);
        const producedTemps = new Set((await producedBy(page, key)).filter((p) => p.channel === "temperature").map((p) => p.value));
        temps.forEach((r, i) => {
          const n = r.value - base;
          expect(producedTemps.has(r.value), `${source}: ${r.value} is a line the instrument sent`).toBe(true);
          if (i > 0) expect(r.value, `${source}: in order, nothing doubled`).toBeGreaterThan(temps[i - 1]!.value);
          expect(pressures[i]!.value, `${source}: pressure beside ${r.value}`).toBe(Number(((1 + (n % 9)) * 1e-7).toExponential(3)));
          expect(pressures[i]!.t).toBe(r.t);
        });
      }
      // Instrument 1 lost only the lines sent while it was unplugged (and a partial first line on each connect).
      const t1 = rowsOf(rows, "Instrument 1", "temperature").map((r) => r.value - 1000);
      const gaps = t1.slice(1).filter((n, i) => n !== t1[i]! + 1).length;
      expect(gaps, "one gap: the unplug").toBeLessThanOrEqual(1);

      // The CSV download holds the same rows.
      const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download CSV" }).click()]);
      const csv = parseCsv(await readFile((await download.path())!, "utf8"));
      expect(csv.length).toBe(rows.length);
      csv.forEach((c, i) => {
        const r = rows[i]!;
        expect({ source: c.source, channel: c.channel, t: Number(c.unix_seconds), value: Number(c.value), units: c.units }).toEqual({ source: r.source, channel: r.channel, t: r.t, value: r.value, units: r.units ?? "" });
      });
      await page.screenshot({ path: join(ARTIFACTS_DIR, `page-instruments-stopped-${backend}.png`), fullPage: true });

      // A reload: the three instruments come back by themselves (the devices are still there: new port objects
      // granted by their USB ids; the simulator), with their settings, and the last stream's CSV is still there.
      const summaries = await Promise.all([1, 2, 3].map((n) => card(page, n).getByLabel(`Instrument ${n} summary`).textContent()));
      await page.reload();
      await plugSimulator(page, "A", { usb: A, base: 1000, grant: true });
      await plugSimulator(page, "B", { usb: B, base: 50_000, grant: true });
      for (const n of [1, 2, 3]) {
        await expect.poll(() => card(page, n).getByRole("status", { name: `Instrument ${n} status` }).textContent(), { timeout: 20_000 }).toMatch(/^Connected/);
        expect(await card(page, n).getByLabel(`Instrument ${n} summary`).textContent()).toBe(summaries[n - 1]);
      }
      await expect.poll(async () => Object.keys(await pageHook.counts(page)).sort(), { timeout: 20_000 }).toEqual(["pressure", "pressure (Instrument 2)", "temperature", "temperature (Instrument 2)", "temperature_A"]);
      expect(await pageHook.recorded(page)).toEqual(rows);
      expect(await page.getByRole("button", { name: "Download CSV" }).isEnabled()).toBe(true);
    } finally {
      await browser.close();
      await emu?.stop();
      emu = undefined;
    }
  }, 240_000);
});

describe("the instrument page: tags", () => {
  // Needs the streamer's initialize({ tags }) and the emulator's /tags endpoints.
  it.skipIf(skipBrowser)("the Tags field goes to initialize({ tags }): the stream carries them on the platform", async () => {
    requireChromium();
    const own = await spawnServe({ args: ["--memory"] });
    const browser = await launchChromium();
    try {
      const page = await openInstrumentPage(browser, `${own.url}/`);
      await expect.poll(() => page.getByRole("status", { name: "Settings status" }).textContent()).toContain(own.url);
      await card(page, 1).getByRole("button", { name: "Use simulated instrument" }).click();
      await page.getByLabel("Stream name").fill("tagged");
      await page.getByLabel("Tags").fill(" bench, issue 14 ,bench");
      await page.getByRole("button", { name: "Start", exact: true }).click();
      await expect.poll(() => page.getByRole("status", { name: "Stream status" }).textContent()).toBe('Recording "tagged" to the platform.');
      const dataId = (await pageHook.platformId(page))!;
      await expect.poll(async () => (await pageHook.recorded(page)).length, { timeout: 20_000 }).toBeGreaterThan(4);
      await page.getByRole("button", { name: "Stop", exact: true }).click();
      await expect.poll(() => page.getByRole("status", { name: "Stream status" }).textContent(), { timeout: 30_000 }).toMatch(/^Stopped: the stream is finalized/);
      expectServerEqualsRecorded(await readBack(own, dataId), await pageHook.recorded(page));
      const entry = (await http(own)("GET", `/data_entries/?data_ids=${dataId}`)).body[0];
      const tags = JSON.stringify(entry.tags);
      expect(tags).toContain("bench");
      expect(tags).toContain("issue 14");
    } finally {
      await browser.close();
      await own.stop();
    }
  }, 120_000);
});
