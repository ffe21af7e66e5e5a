/**
 * The instrument page end to end in Chromium, with a fake navigator.serial (test/fixtures/fake-serial.js,
 * behaving like the spec) driven by the library's `lines` simulator: Connect, Start, unplug and replug (a new
 * port object), a BreakError in the middle of a line, a server outage with a reload (the service worker
 * serves the page; IndexedDB keeps the data), Stop. The server's read-back must be what the simulator
 * produced: in order, nothing doubled, nothing invented, and every line the page read.
 */
import { readFile } from "node:fs/promises";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Page } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { ARTIFACTS_DIR, BROWSER_BUNDLE, BUNDLE_PATH, CHROMIUM, requireChromium, skipBrowser } from "../helpers/browser.js";
import { http, ROOT, spawnServe, type RunningEmulator } from "../helpers/emulator.js";
import { readBack } from "../helpers/readback.js";
import { card, loadBundle, pageHook } from "./page.js";

const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic"];
const FAKE_SERIAL = join(ROOT, "test/fixtures/fake-serial.js");
const USB = { usbVendorId: 0x2341, usbProductId: 0x0043 };

let emu: RunningEmulator | undefined;
afterAll(async () => {
  await emu?.stop();
});

/** Plug a `lines` simulator into the fake serial bus. Temperatures count up from `base` (unique, increasing). */
async function plugInstrument(page: Page, base: number, grant: boolean) {
  await loadBundle(page);
  await page.evaluate(
    ({ base, usb, grant }) => {
      const sim = window.AtomscaleStream.createSimulator("lines", {
        rateHz: 20,
        value: (n: number, channel: string) => (channel === "temperature" ? base + n : (1 + (n % 9)) * 1e-7),
      });
      const w = window as unknown as { __sim: typeof sim; __fakeSerial: { plug(d: object, i: object, o: object): unknown } };
      w.__sim = sim;
      let send: ((b: Uint8Array) => void) | undefined;
      const writer = sim.writable.getWriter();
      void (async () => {
        const reader = sim.readable.getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          send?.(value); // detached: the bytes go nowhere, as on an unplugged cable
        }
      })();
      const device = { attach: (s: (b: Uint8Array) => void) => void (send = s), detach: () => void (send = undefined), write: (b: Uint8Array) => writer.write(b) };
      (window as unknown as { __device: object }).__device = device;
      w.__fakeSerial.plug(device, usb, { grant });
    },
    { base, usb: USB, grant },
  );
}

const produced = (page: Page) =>
  page.evaluate(() => (window as unknown as { __sim: { produced: Array<{ channel: string; value: number }> } }).__sim.produced.slice());

const statusOf = (page: Page, name: string) => page.getByRole("status", { name, exact: true }).textContent();

describe("the instrument page", () => {
  it.skipIf(skipBrowser)("connect, stream, unplug/replug, BreakError, outage with a reload, Stop: the server holds what the simulator produced", async () => {
    requireChromium();
    const dataDir = await mkdtemp(join(tmpdir(), "emu-page-"));
    emu = await spawnServe({ args: ["--data-dir", dataDir] });
    const port = new URL(emu.url).port;
    const code = await readFile(BROWSER_BUNDLE, "utf8");
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS_DIR, `page-${name}.png`), fullPage: true });
    try {
      const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
      await context.addInitScript({ path: FAKE_SERIAL });
      await context.route(`**${BUNDLE_PATH}`, (route) => route.fulfill({ status: 200, contentType: "text/javascript", body: code }));
      const page = await context.newPage();
      page.on("pageerror", (e) => console.error(`[page] ${e.stack ?? e.message}`));
      await page.goto(`${emu.url}/`);

      // The page found the emulator that serves it, and its key, by itself.
      await expect.poll(() => statusOf(page, "Settings status")).toContain(`The platform is ${emu!.url}`);
      await expect.poll(() => page.getByLabel("Growth instrument").locator("option").count()).toBeGreaterThan(1);
      await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null || navigator.serviceWorker.ready.then(() => true))).toBeTruthy();

      // Connect through the chooser (the fake grants the plugged device), then Start.
      await plugInstrument(page, 1000, false);
      await card(page, 1).getByLabel("Driver").selectOption("lines");
      // Connected mid-stream, the page misses the instrument's header line: the user names the columns.
      await card(page, 1).getByLabel("Channels").fill("temperature:C, pressure:mbar");
      await card(page, 1).getByRole("button", { name: "Connect", exact: true }).click();
      await expect.poll(() => statusOf(page, "Instrument 1 status")).toMatch(/^Connected: serial port \(USB 2341:0043\)/);
      await page.getByLabel("Stream name").fill("page e2e");
      await page.getByLabel("Physical sample").fill("GaN-page");
      await page.getByRole("button", { name: "Start", exact: true }).click();
      await expect.poll(() => statusOf(page, "Stream status")).toBe('Recording "page e2e" to the platform.');
      const dataId = (await pageHook.dataId(page))!;
      await expect.poll(async () => (await readBack(emu!, dataId)).properties.temperature?.values.length ?? 0, { timeout: 15_000 }).toBeGreaterThan(20);
      await expect.poll(async () => (await page.evaluate(() => (window as unknown as { atomscalePage: { chart: { counts(): Record<string, { server: number }> } } }).atomscalePage.chart.counts().temperature?.server ?? 0))).toBeGreaterThan(0);
      await shot(page, "1-streaming");

      // Unplug, then plug the same device back: a new port object, `connect`, reading resumes.
      const atUnplug = (await produced(page)).length;
      await page.evaluate(() => (window as unknown as { __fakeSerial: { unplug(): void } }).__fakeSerial.unplug());
      await expect.poll(() => statusOf(page, "Instrument 1 status")).toMatch(/^Unplugged — waiting for it/);
      await page.waitForTimeout(1000);
      const beforeReplug = (await produced(page)).length;
      await plugInstrumentAgain(page);
      await expect.poll(() => statusOf(page, "Instrument 1 status")).toMatch(/^Connected/);
      // Lines sent while the cable was out are lost on the wire (however long a busy machine took to replug).
      const unpluggedLines = ((await produced(page)).length - atUnplug) / 2;
      await expect.poll(async () => (await produced(page)).length).toBeGreaterThan(beforeReplug + 20);

      // A BreakError in the middle of a line: the page takes a fresh reader and goes on.
      await page.evaluate(() => (window as unknown as { __fakeSerial: { injectError(n: string): void } }).__fakeSerial.injectError("BreakError"));
      await expect.poll(() => page.getByLabel("Instrument 1 problems").textContent()).toContain("BreakError");
      await page.waitForTimeout(1000);
      const firstDevice = await produced(page);

      // The server goes away; the page keeps the readings; a reload during the outage still opens the page.
      expect(await emu.stop("SIGTERM")).toBe(0);
      emu = undefined;
      await page.waitForTimeout(3000);
      await expect.poll(async () => ((await page.evaluate(() => (window as unknown as { atomscalePage: { stats(): { pendingSlices: number } } }).atomscalePage.stats()))?.pendingSlices ?? 0)).toBeGreaterThan(0);
      const lastBeforeReload = (await produced(page)).slice();
      await page.reload();
      await expect(page.getByRole("heading", { name: "atomscale-stream" })).toBeDefined();
      await expect.poll(() => page.getByRole("alert").first().textContent(), { timeout: 15_000 }).toMatch(/waiting in this browser and are being sent/);
      await expect.poll(() => statusOf(page, "Instrument 1 status")).toMatch(/^Not plugged in/);
      await shot(page, "2-reloaded-offline");

      // The instrument is still there (a new page, a new port object): the page reconnects and goes on with the same stream.
      await plugInstrument(page, 100_000, true);
      await expect.poll(() => statusOf(page, "Instrument 1 status")).toMatch(/^Connected/);
      await expect.poll(() => statusOf(page, "Stream status")).toMatch(/^Recording "page e2e" offline: /);
      expect(await pageHook.dataId(page)).toBe(dataId);
      await page.waitForTimeout(2000);

      // The server returns (same port, same data): everything pending drains by itself.
      emu = await spawnServe({ args: ["--data-dir", dataDir, "--port", port] });
      await expect.poll(async () => ((await page.evaluate(() => (window as unknown as { atomscalePage: { stats(): { pendingSlices: number } } }).atomscalePage.stats()))?.pendingSlices ?? -1), { timeout: 60_000 }).toBeLessThanOrEqual(2);
      // What the instrument sent up to Stop (it goes on sending while the stream is finalized; those lines are not the stream's).
      const secondDevice = await produced(page);
      await page.getByRole("button", { name: "Stop", exact: true }).click();
      await expect.poll(() => statusOf(page, "Stream status"), { timeout: 30_000 }).toMatch(/^Stopped: the stream is finalized on the platform\./);
      await shot(page, "3-stopped");

      // What the server holds: temperatures strictly increasing (nothing doubled, in order), each one a line
      // a simulator produced (temperature base + n, with pressure (1 + n mod 9)·1e-7 on the same line);
      // and nearly every produced line.
      const back = await readBack(emu, dataId);
      const temps = back.properties.temperature!.values;
      const pressures = back.properties.pressure!.values;
      expect(pressures).toHaveLength(temps.length);
      const lineOf = (t: number) => (t >= 100_000 ? t - 100_000 : t - 1000);
      for (let i = 1; i < temps.length; i++) expect(temps[i]!, `position ${i}`).toBeGreaterThan(temps[i - 1]!);
      temps.forEach((t, i) => {
        const n = lineOf(t);
        expect(Number.isInteger(n) && n >= 0, `temperature ${t} is a line a simulator produced`).toBe(true);
        expect(pressures[i], `pressure beside ${t}`).toBe(Number(((1 + (n % 9)) * 1e-7).toExponential(3)));
      });
      // Every reading the page recorded is on the server, at its timestamp: the page copies a batch to its
      // record store only after the stream's write() resolved, and a resolved write survives the reload
      // (its open chunk was durable in IndexedDB, not waiting maxLatencyMs in memory).
      const serverTemps = new Map(temps.map((v, i) => [v, Number(back.properties.temperature!.unix_timestamp_ms[i])]));
      const recorded = (await pageHook.recorded(page)).filter((r) => r.channel === "temperature");
      expect(recorded.length).toBeGreaterThan(0);
      const missing = recorded.filter((r) => !(Math.abs((serverTemps.get(r.value) ?? -Infinity) - r.t * 1000) <= 1));
      expect(missing.slice(0, 5), `${missing.length} recorded reading(s) not on the server`).toEqual([]);
      // Lines lost only where the wire was cut: unplugged, the BreakError, the partial first line after each connect, the reload.
      const producedLines = Math.max(firstDevice.length, lastBeforeReload.length) / 2 + secondDevice.length / 2;
      expect(temps.length).toBeGreaterThan((producedLines - unpluggedLines) * 0.85);
      const entry = await http(emu)("GET", `/data_entries/?data_ids=${dataId}`);
      expect(entry.body[0]).toMatchObject({ pipeline_status: "success", physical_sample_name: "GaN-page" });
    } finally {
      await browser.close();
    }
  }, 240_000);
});

describe("the instrument page, as a new user tries it", () => {
  it.skipIf(skipBrowser)("Use simulated instrument → Start: the chart moves, the read-back follows; Stop finalizes", async () => {
    requireChromium();
    const own = await spawnServe({ args: ["--memory"] });
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      page.on("pageerror", (e) => console.error(`[page] ${e.stack ?? e.message}`));
      await page.goto(`${own.url}/`);
      await expect.poll(() => statusOf(page, "Settings status")).toContain(`The platform is ${own.url}`);
      await page.getByRole("button", { name: "Use simulated instrument" }).click();
      await expect.poll(() => statusOf(page, "Instrument 1 status")).toMatch(/^Connected: simulated lines instrument/);
      await page.getByRole("button", { name: "Start", exact: true }).click();
      await expect.poll(() => statusOf(page, "Stream status")).toMatch(/^Recording ".*" to the platform\./);
      const dataId = (await page.evaluate(() => (window as unknown as { atomscalePage: { active(): { dataId: string } } }).atomscalePage.active().dataId));
      const counts = () => page.evaluate(() => (window as unknown as { atomscalePage: { chart: { counts(): Record<string, { local: number; server: number }> } } }).atomscalePage.chart.counts());
      await expect.poll(async () => (await counts()).temperature?.server ?? 0, { timeout: 20_000 }).toBeGreaterThan(5);
      const first = (await counts()).temperature!;
      await expect.poll(async () => (await counts()).temperature!.local, { timeout: 10_000 }).toBeGreaterThan(first.local); // the chart moves
      await expect.poll(async () => (await counts()).temperature!.server, { timeout: 10_000 }).toBeGreaterThan(first.server); // the read-back follows
      await page.screenshot({ path: join(ARTIFACTS_DIR, "page-simulated.png"), fullPage: true });
      await page.getByRole("button", { name: "Stop", exact: true }).click();
      await expect.poll(() => statusOf(page, "Stream status"), { timeout: 30_000 }).toMatch(/^Stopped: the stream is finalized on the platform\./);
      const back = await readBack(own, dataId);
      expect(back.properties.temperature!.units).toBe("°C"); // from the instrument's own header line
      expect(back.properties.temperature!.values.length).toBeGreaterThanOrEqual(first.server);
      const entry = await http(own)("GET", `/data_entries/?data_ids=${dataId}`);
      expect(entry.body[0].pipeline_status).toBe("success");
    } finally {
      await browser.close();
      await own.stop();
    }
  }, 120_000);
});

/** The same simulated device back on the bus as a new port object (its simulator kept running meanwhile). */
async function plugInstrumentAgain(page: Page) {
  await page.evaluate((usb) => {
    const w = window as unknown as { __fakeSerial: { plug(d: object, i: object, o: object): unknown; ports(): unknown[] }; __device: object };
    w.__fakeSerial.plug(w.__device, usb, {});
  }, USB);
}
