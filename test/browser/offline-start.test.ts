/**
 * Start pressed while the platform is down, in Chromium with an IndexedDbOutbox (issue 10, failure 1):
 * the page gets a local stream id, keeps writing, is reloaded during the outage (the queued initialize
 * and the readings survive in IndexedDB), and once the platform is back it creates the stream, sends
 * everything, verifies and finalizes. The server is read back point by point.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARTIFACTS_DIR, BROWSER_BUNDLE, CHROMIUM, requireChromium, skipBrowser } from "../helpers/browser.js";
import { emulatorOn, ROOT, type RunningEmulator } from "../helpers/emulator.js";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";
import { expectExact, pipelineStatus, T0, type Points } from "../streamer/exact.js";

const FIXTURES = join(ROOT, "test/browser/fixtures");
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic"];

async function servePage(): Promise<{ url: string; close(): Promise<void> }> {
  const files: Record<string, [string, string]> = {
    "/": [join(FIXTURES, "offline-start-page.html"), "text/html"],
    "/offline-start-page.js": [join(FIXTURES, "offline-start-page.js"), "text/javascript"],
    "/atomscale-stream.js": [BROWSER_BUNDLE, "text/javascript"],
  };
  const server: Server = createServer(async (req, res) => {
    const entry = files[new URL(req.url ?? "/", "http://x").pathname];
    if (!entry) return void res.writeHead(404).end();
    res.writeHead(200, { "Content-Type": `${entry[1]}; charset=utf-8`, "Cache-Control": "no-store" }).end(await readFile(entry[0]));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

let emu: RunningEmulator | undefined;
let proxy: FaultProxy | undefined;
beforeAll(async () => {
  if (skipBrowser) return;
  emu = await emulatorOn("pglite");
  proxy = await startFaultProxy({ target: emu.url });
});
afterAll(async () => {
  await proxy?.close();
  await emu?.stop();
});

interface PageState {
  dataId: string;
  platformDataId: string | null;
  stats: { pendingSlices: number; acceptedPoints: number; initialize: string; state: string; verify: string };
}

describe("offline start in a page", () => {
  it.skipIf(skipBrowser)("Start while the platform is down, reload during the outage, platform back: exact read-back, finalized", async () => {
    requireChromium();
    proxy!.setOutage(true);
    const site = await servePage();
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    try {
      const page = await (await browser.newContext()).newPage();
      page.on("pageerror", (e) => console.error(`[page] ${e.message}`));
      const query = new URLSearchParams({ endpoint: proxy!.url, apiKey: emu!.apiKey, db: `offline-start-${Date.now()}` });
      await page.goto(`${site.url}?${query}`);
      await page.waitForFunction("window.pageReady === true", undefined, { timeout: 30_000 });
      const started = (await page.evaluate("window.pageState()")) as PageState;
      expect(started.dataId).toMatch(/^local-/);
      expect(started.platformDataId).toBeNull();

      const expected = new Map<string, Points>([["temperature", []], ["pressure", []]]);
      let n = 0;
      const batch = () => {
        const readings = [];
        for (let i = 0; i < 10; i++, n++) {
          for (const [c, channel] of ["temperature", "pressure"].entries()) {
            const p: [number, number] = [T0 + n * 0.1, c * 1000 + n];
            expected.get(channel)!.push(p);
            readings.push({ channel, t: p[0], value: p[1] });
          }
        }
        return readings;
      };
      for (let b = 0; b < 3; b++) await page.evaluate((readings) => (window as unknown as { writeBatch(r: unknown): Promise<unknown> }).writeBatch(readings), batch());

      await page.reload();
      await page.waitForFunction("window.pageReady === true", undefined, { timeout: 30_000 });
      const reloaded = (await page.evaluate("window.pageState()")) as PageState;
      expect(reloaded.dataId).toBe(started.dataId); // the same stream continues
      expect(reloaded.stats).toMatchObject({ initialize: "queued", pendingSlices: 6, acceptedPoints: 60 });
      for (let b = 0; b < 2; b++) await page.evaluate((readings) => (window as unknown as { writeBatch(r: unknown): Promise<unknown> }).writeBatch(readings), batch());

      proxy!.setOutage(false);
      const stopped = (await page.evaluate("window.stop()")) as PageState & { status: string };
      expect(stopped.status).toBe("finalized");
      expect(stopped.stats).toMatchObject({ state: "finalized", initialize: "done", pendingSlices: 0, verify: "agreed" });
      expect(stopped.platformDataId).toMatch(/^[0-9a-f-]{36}$/);
      await page.screenshot({ path: join(ARTIFACTS_DIR, "offline-start-page.png") });
      await expectExact(emu!, stopped.platformDataId!, expected);
      expect(await pipelineStatus(emu!, stopped.platformDataId!)).toBe("success");
    } finally {
      await browser.close();
      await site.close();
    }
  }, 120_000);
});
