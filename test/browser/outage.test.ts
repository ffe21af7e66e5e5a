/**
 * The page at the instrument streams with an IndexedDbOutbox; the emulator is stopped; the page keeps
 * streaming for 30 s and is reloaded twice during the outage; the emulator starts again (same port, same
 * data): the page resumes by itself, the server holds every written point exactly once at its position,
 * and after Stop the stream is finalized.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { ARTIFACTS_DIR, BROWSER_BUNDLE, CHROMIUM, requireChromium, skipBrowser } from "../helpers/browser.js";
import { http, ROOT, spawnServe, type RunningEmulator } from "../helpers/emulator.js";
import { readBack } from "../helpers/readback.js";

const FIXTURES = join(ROOT, "test/browser/fixtures");
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic"];

/** Serves the test page and the browser bundle from an origin of its own (up while the emulator is down). */
async function servePage(): Promise<{ url: string; close(): Promise<void> }> {
  const files: Record<string, [string, string]> = {
    "/": [join(FIXTURES, "outage-page.html"), "text/html"],
    "/outage-page.js": [join(FIXTURES, "outage-page.js"), "text/javascript"],
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
afterAll(async () => {
  await emu?.stop();
});

describe("IndexedDbOutbox through an outage with reloads", () => {
  it.skipIf(skipBrowser)("resumes by itself; every written point exactly once at its position; finalized after Stop", async () => {
    requireChromium();
    const dataDir = await mkdtemp(join(tmpdir(), "emu-outage-"));
    emu = await spawnServe({ args: ["--data-dir", dataDir] });
    const port = new URL(emu.url).port;
    const { apiKey } = emu;
    const dataId = (await http(emu)("POST", "/metrology/stream/initialize", { points_per_chunk: 10, stream_name: "outage with reloads" })).body.data_id as string;

    const site = await servePage();
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    try {
      const context = await browser.newContext();
      type Batch = Array<{ channel: string; t: number; value: number }>;
      const attempted: Batch[] = [];
      const written: Batch[] = [];
      await context.exposeBinding("reportBatch", (_source, batch: Batch, what: string) => void (what === "written" ? written : attempted).push(batch));
      const page = await context.newPage();
      page.on("pageerror", (e) => console.error(`[page] ${e.message}`));
      const query = new URLSearchParams({ endpoint: emu.url, apiKey, dataId, db: `outage-${dataId}` });
      await page.goto(`${site.url}?${query}`);
      await expect.poll(() => written.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
      await expect.poll(async () => (await readBack(emu!, dataId)).properties.temperature?.values.length ?? 0, { timeout: 20_000 }).toBeGreaterThan(0);

      // The outage: the emulator process stops.
      expect(await emu.stop("SIGTERM")).toBe(0);
      emu = undefined;
      const before = written.length;
      const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
      await wait(10_000);
      await page.reload();
      await wait(10_000);
      await page.reload();
      await wait(10_000);
      expect(written.length - before).toBeGreaterThanOrEqual(15); // it kept streaming, across reloads
      const pending = (await page.evaluate("window.streamerStats()")) as { pendingSlices: number; connection: string };
      expect(pending.pendingSlices).toBeGreaterThan(0);

      // The emulator comes back on the same port with the same data: the page resumes by itself.
      emu = await spawnServe({ args: ["--data-dir", dataDir, "--port", port] });
      expect(emu.apiKey).toBe(apiKey);
      await expect
        .poll(async () => ((await page.evaluate("window.streamerStats()")) as { pendingSlices: number }).pendingSlices, { timeout: 60_000 })
        .toBe(0);
      const stopped = (await page.evaluate("window.stopStreaming()")) as { status: string };
      expect(stopped.status).toBe("finalized");
      await page.screenshot({ path: join(ARTIFACTS_DIR, "outage-reloads.png") });

      // The server holds the batches in the order they were written, each once. Every batch whose write()
      // resolved is there; a batch may be missing only if a reload cut it between announce and confirm.
      const back = await readBack(emu, dataId);
      const confirmed = new Set(written.map((b) => JSON.stringify(b)));
      const held: Batch = [];
      let skipped = 0;
      for (const channel of ["temperature", "pressure", "rate"]) {
        const onServer = back.properties[channel]!.values.map((value, i) => ({ value, ms: back.properties[channel]!.unix_timestamp_ms[i] }));
        let at = 0;
        for (const batch of attempted) {
          const mine = batch.filter((r) => r.channel === channel);
          const here = onServer.slice(at, at + mine.length);
          if (here.length === mine.length && here.every((p, i) => p.value === mine[i]!.value && p.ms === Math.round(mine[i]!.t * 1000))) {
            at += mine.length;
            held.push(...mine);
          } else {
            expect(confirmed.has(JSON.stringify(batch)), `${channel}: a confirmed batch is missing at position ${at}`).toBe(false);
            skipped++;
          }
        }
        expect(at, `${channel}: the server holds nothing beyond the batches written, in order`).toBe(onServer.length);
      }
      expect(skipped).toBeLessThanOrEqual(3 * 2); // at most one cut batch per reload, for each channel
      expect(held.length).toBeGreaterThanOrEqual(written.flat().length);
      const entry = await http(emu)("GET", `/data_entries/?data_ids=${dataId}`);
      expect(entry.body[0].pipeline_status).toBe("success");
    } finally {
      await browser.close();
      await site.close();
    }
  }, 180_000);
});
