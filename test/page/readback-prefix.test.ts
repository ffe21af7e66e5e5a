/**
 * The page's charts read a stream back from the path prefix the stream was created on. Against an
 * emulator that serves only `/metrology` (as an older platform), the streamer's initialize falls back from
 * `/tool-state` to `/metrology`; the dashed platform line must then be read from `/metrology` too (read from
 * the client's default prefix it got 404s, taken as "no data yet", and stayed empty). In Chromium, on
 * PGlite and PostgreSQL; ends with the platform read back point by point against what the page recorded.
 */
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

type ReadBackInfo = { platformId: string; streamPrefix: string | undefined } | undefined;
type ChartHook = { chart: { channel(n: string): { server: { t: number[]; v: number[] } } | undefined } };

describe.each(BACKENDS)("the page's read-back on a /metrology-only platform (%s)", (backend) => {
  it.skipIf(skipBrowser)("reads the stream back from /metrology: the platform line fills and matches the platform", async () => {
    requireChromium();
    await emu?.stop();
    emu = await emulatorOn(backend, ["--stream-prefix", "/metrology"]);
    const timeseriesPaths = new Set<string>();
    const browser = await launchChromium();
    try {
      const page = await openInstrumentPage(browser, `${emu.url}/`, undefined, (p) =>
        p.on("request", (r) => {
          const path = new URL(r.url()).pathname;
          if (path.endsWith("/timeseries/")) timeseriesPaths.add(path.split("/")[1]!);
        }),
      );
      await expect.poll(() => page.getByRole("status", { name: "Settings status" }).textContent()).toContain(emu.url);
      await card(page, 1).getByRole("button", { name: "Use simulated instrument" }).click();
      await expect.poll(async () => (await pageHook.counts(page)).temperature?.local ?? 0).toBeGreaterThan(0);

      await page.getByLabel("Stream name").fill("metrology only");
      await page.getByRole("button", { name: "Start", exact: true }).click();
      await expect.poll(() => page.getByRole("status", { name: "Stream status" }).textContent(), { timeout: 20_000 }).toMatch(/^Recording "metrology only" to the platform/);
      const dataId = (await pageHook.dataId(page))!;

      // The read-back goes to /metrology, and the platform's points reach the chart.
      const info = () => page.evaluate(() => (window as unknown as { atomscalePage: { readBack(): ReadBackInfo } }).atomscalePage.readBack());
      await expect.poll(info, { timeout: 20_000 }).toEqual({ platformId: dataId, streamPrefix: "/metrology" });
      await expect.poll(async () => (await pageHook.counts(page)).temperature?.server ?? 0, { timeout: 30_000 }).toBeGreaterThan(5);
      await expect.poll(async () => (await pageHook.counts(page)).pressure?.server ?? 0, { timeout: 30_000 }).toBeGreaterThan(5);
      expect([...timeseriesPaths], "read-back requests by prefix").toEqual(["metrology"]);

      await page.getByRole("button", { name: "Stop", exact: true }).click();
      await expect.poll(() => page.getByRole("status", { name: "Stream status" }).textContent(), { timeout: 30_000 }).toMatch(/^Stopped: the stream is finalized/);

      // What the chart drew as the platform's is the platform's: each point at its time, with its value.
      const back = await readBack(emu, dataId);
      for (const name of ["temperature", "pressure"]) {
        const drawn = await page.evaluate((n) => (window as unknown as { atomscalePage: ChartHook }).atomscalePage.chart.channel(n)!.server, name);
        const p = back.properties[name]!;
        const onPlatform = new Map(p.unix_timestamp_ms.map((ms, i) => [ms, p.values[i]]));
        expect(drawn.t.length).toBeGreaterThan(5);
        drawn.t.forEach((t, i) => expect(onPlatform.get(Math.round(t * 1000)), `${name} at ${t}`).toBe(drawn.v[i]));
      }
      // And the platform holds exactly what the page recorded, point by point.
      expectServerEqualsRecorded(back, await pageHook.recorded(page));
    } finally {
      await browser.close();
      await emu?.stop();
      emu = undefined;
    }
  }, 180_000);
});
