/**
 * The runtime harnesses work end to end: the browser bundle in a real headless Chromium and the built
 * library under Deno each stream the docs' example chunk to a real emulator process and read it back.
 */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARTIFACTS_DIR, skipBrowser, withBrowserPage } from "./browser.js";
import { lastJsonLine, runDeno, skipDeno } from "./deno.js";
import { emulatorOn, http, type RunningEmulator } from "./emulator.js";

const TIMESTAMPS = [1705312200.0, 1705312210.0, 1705312220.0];
const VALUES = [0, 5.2, 10.1];
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await emulatorOn("pglite");
});
afterAll(async () => {
  await emu?.stop();
});

/** What the server holds for the stream, read from Node over raw HTTP: the check that does not trust the client. */
async function storedThickness(dataId: string) {
  const res = await http(emu)("GET", `/metrology/${dataId}/timeseries/`);
  expect(res.status).toBe(200);
  return res.body.properties.thickness as { values: number[]; unix_timestamp_ms: number[]; units: string };
}

describe("runtime harness", () => {
  it.skipIf(skipBrowser)("Chromium: the browser bundle's AtomscaleClient streams to the emulator and reads back", async () => {
    const out = await withBrowserPage(
      `${emu.url}/healthz`,
      (page) =>
        page.evaluate(
          async ({ endpoint, apiKey, timestamps, values }) => {
            const { AtomscaleClient, ApiError } = window.AtomscaleStream;
            const client = new AtomscaleClient({ apiKey, endpoint });
            const { dataId } = await client.initializeStream({ pointsPerChunk: 3, streamName: "harness check in Chromium" });
            const chunk = await client.ingestChunk({ dataId, chunkIndex: 0, channelName: "thickness", timestamps, values, units: "nm" });
            const back = await client.getTimeseries(dataId);
            const thickness = back?.properties.thickness;

            // A wrong key: the library's own error class, classified, in the browser too. (Chromium logs the
            // 401 as a console error, which withBrowserPage forwards: expected in this test's output.)
            let rejected: { isApiError: boolean; status?: number; classification?: string } | null = null;
            try {
              await new AtomscaleClient({ apiKey: "wrong-key", endpoint }).initializeStream({ pointsPerChunk: 3 });
            } catch (err) {
              rejected = err instanceof ApiError
                ? { isApiError: true, status: err.status, classification: err.classification }
                : { isApiError: false };
            }

            const result = {
              userAgent: navigator.userAgent,
              origin: location.origin,
              exports: Object.keys(window.AtomscaleStream).sort(),
              dataId,
              totalPoints: chunk.totalPoints,
              values: thickness?.values ?? null,
              unixTimestampMs: thickness?.unixTimestampMs ?? null,
              units: thickness?.units ?? null,
              rejected,
            };
            // Something to see in the screenshot.
            const pre = document.createElement("pre");
            pre.style.cssText = "font: 14px monospace; padding: 12px; border-top: 2px solid #0a7";
            pre.textContent = `AtomscaleStream in ${navigator.userAgent}\n\n${JSON.stringify(result, null, 2)}`;
            document.body.append(pre);
            return result;
          },
          { endpoint: emu.url, apiKey: emu.apiKey, timestamps: TIMESTAMPS, values: VALUES },
        ),
      { screenshot: "harness-chromium" },
    );

    expect(out.userAgent).toMatch(/HeadlessChrome\/\d+/);
    expect(out.origin).toBe(new URL(emu.url).origin);
    expect(out.exports).toEqual(expect.arrayContaining(["AtomscaleClient", "ApiError", "TimeseriesStreamer"]));
    expect(out.totalPoints).toBe(3);
    expect(out.values).toEqual(VALUES);
    expect(out.unixTimestampMs).toEqual(TIMESTAMPS.map((t) => t * 1000));
    expect(out.units).toBe("nm");
    expect(out.rejected).toEqual({ isApiError: true, status: 401, classification: "auth" });

    const stored = await storedThickness(out.dataId);
    expect(stored.values).toEqual(VALUES);
    expect(stored.units).toBe("nm");

    const png = await readFile(`${ARTIFACTS_DIR}/harness-chromium.png`);
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    expect(png.length).toBeGreaterThan(1000);
  });

  it.skipIf(skipDeno)("Deno: the built library, imported by relative path, streams to the emulator and reads back", async () => {
    const res = await runDeno("test/deno/harness-check.ts", {
      env: { EMULATOR_URL: emu.url, EMULATOR_API_KEY: emu.apiKey },
      timeoutMs: 30_000,
    });
    expect(res.code, `deno exited with ${res.code}:\n${res.stderr}`).toBe(0);
    const out = lastJsonLine<{
      runtime: string;
      dataId: string;
      totalPoints: number;
      values: number[];
      unixTimestampMs: number[];
      units: string;
    }>(res);
    expect(out.runtime).toMatch(/^deno \d+\.\d+\.\d+/);
    expect(out.totalPoints).toBe(3);
    expect(out.values).toEqual(VALUES);
    expect(out.unixTimestampMs).toEqual(TIMESTAMPS.map((t) => t * 1000));
    expect(out.units).toBe("nm");

    const stored = await storedThickness(out.dataId);
    expect(stored.values).toEqual(VALUES);
  });
});
