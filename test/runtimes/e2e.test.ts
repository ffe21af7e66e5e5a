/**
 * The end-to-end scenario in Deno and in Chromium, each through the fault-injecting proxy to a real
 * emulator; the server is then read back point by point from here.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { skipBrowser, withBrowserPage } from "../helpers/browser.js";
import { lastJsonLine, runDeno, skipDeno } from "../helpers/deno.js";
import { emulatorOn, type RunningEmulator } from "../helpers/emulator.js";
import { randomFaults, startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";
import { expectExactScenario } from "../helpers/readback.js";
import { e2eScenario, type ScenarioOptions, type ScenarioResult } from "../scenarios/e2e.js";
import { OFFLINE_MARKER, offlineScenario, type OfflineScenarioOptions, type OfflineScenarioResult } from "../scenarios/offline.js";

const POINTS = 50_000;
const FAULTS = { delay: 0.05, delayMs: 50, drop: 0.05, status503: 0.05, status429: 0.01, retryAfter: "1", loseResponse: 0.05 };

let emu: RunningEmulator;
let proxy: FaultProxy;
beforeAll(async () => {
  emu = await emulatorOn("pglite");
});
afterAll(async () => {
  await emu?.stop();
});

async function throughFaults(run: (options: ScenarioOptions) => Promise<ScenarioResult>, name: string) {
  proxy = await startFaultProxy({ target: emu.url, seed: 99, policy: randomFaults(FAULTS) });
  try {
    const result = await run({ endpoint: proxy.url, apiKey: emu.apiKey, method: "writable", points: POINTS, pointsPerChunk: 100, streamName: name });
    const counts = proxy.counts();
    for (const kind of ["drop", "status", "lose-response"] as const) expect(counts[kind], kind).toBeGreaterThan(0);
    expect(result.finalizeStatus).toBe("finalized");
    expect(result.stats).toMatchObject({ acceptedPoints: 3 * POINTS, ackedPoints: 3 * POINTS, pendingSlices: 0, state: "finalized" });
    await expectExactScenario(emu, result.dataId, POINTS);
  } finally {
    await proxy.close();
  }
}

describe("the end-to-end scenario in other runtimes", () => {
  it.skipIf(skipDeno)("Deno: readable.pipeTo(streamer.writable()) through faults, exact read-back", async () => {
    await throughFaults(async (options) => {
      const res = await runDeno("test/deno/e2e.ts", { env: { SCENARIO: JSON.stringify(options) }, timeoutMs: 200_000 });
      expect(res.code, `deno exited with ${res.code}:\n${res.stderr}`).toBe(0);
      const out = lastJsonLine<ScenarioResult & { runtime: string }>(res);
      expect(out.runtime).toMatch(/^deno \d+/);
      return out;
    }, "e2e in Deno");
  }, 240_000);

  it.skipIf(skipBrowser)("Chromium: readable.pipeTo(streamer.writable()) through faults, exact read-back", async () => {
    await throughFaults(
      (options) =>
        withBrowserPage(
          `${emu.url}/healthz`,
          (page) =>
            page.evaluate(
              // The scenario's source, rebuilt in the page with the browser bundle as its library.
              async ([source, opts]) => {
                const scenario = (0, eval)(`(${source})`) as typeof e2eScenario;
                const result = await scenario(window.AtomscaleStream, opts);
                document.body.textContent = `e2e in ${navigator.userAgent}: ${JSON.stringify(result)}`;
                return result;
              },
              [e2eScenario.toString(), options] as const,
            ),
          { screenshot: "e2e-chromium" },
        ),
      "e2e in Chromium",
    );
  }, 240_000);
});

/**
 * Start while the platform is down, in Deno and in Chromium (IndexedDbOutbox): initialize() returns a
 * local id, the readings are kept; the outage ends once the runtime has written them all; the stream is
 * then created, filled, verified and finalized by itself. Read back point by point from here.
 */
describe("offline start in other runtimes", () => {
  const OFFLINE_POINTS = 3000;

  async function platformDownAtStart(run: (options: OfflineScenarioOptions) => Promise<OfflineScenarioResult>, name: string) {
    proxy = await startFaultProxy({ target: emu.url });
    proxy.setOutage(true);
    try {
      // The outage ends once the runtime says (at the proxy) that it has written everything.
      let ended = false;
      const ender = (async () => {
        while (!proxy.log().some((e) => e.path === OFFLINE_MARKER)) await new Promise((r) => setTimeout(r, 50));
        proxy.setOutage(false);
        ended = true;
      })();
      const result = await run({ endpoint: proxy.url, apiKey: emu.apiKey, points: OFFLINE_POINTS, streamName: name, indexedDb: `offline-${Date.now()}` });
      await ender;
      expect(ended).toBe(true);
      expect(result.startedOffline).toBe(true);
      expect(result.dataId).toMatch(/^local-/);
      expect(result.initializedEvents).toBe(1);
      expect(result.platformDataId).toMatch(/^[0-9a-f-]{36}$/);
      expect(result.stats).toMatchObject({ acceptedPoints: 3 * OFFLINE_POINTS, ackedPoints: 3 * OFFLINE_POINTS, pendingSlices: 0, state: "finalized", verify: "agreed", initialize: "done" });
      await expectExactScenario(emu, result.platformDataId!, OFFLINE_POINTS);
    } finally {
      await proxy.close();
    }
  }

  it.skipIf(skipDeno)("Deno: platform down at start, up later: exact read-back, finalized", async () => {
    await platformDownAtStart(async (options) => {
      const { indexedDb: _none, ...denoOptions } = options;
      const res = await runDeno("test/deno/offline-start.ts", { env: { SCENARIO: JSON.stringify(denoOptions) }, timeoutMs: 150_000 });
      expect(res.code, `deno exited with ${res.code}:\n${res.stderr}`).toBe(0);
      const out = lastJsonLine<OfflineScenarioResult & { runtime: string }>(res);
      expect(out.runtime).toMatch(/^deno \d+/);
      return out;
    }, "offline start in Deno");
  }, 180_000);

  it.skipIf(skipBrowser)("Chromium (IndexedDbOutbox): platform down at start, up later: exact read-back, finalized", async () => {
    await platformDownAtStart(
      (options) =>
        withBrowserPage(
          `${emu.url}/healthz`,
          (page) =>
            page.evaluate(
              async ([source, opts]) => {
                const scenario = (0, eval)(`(${source})`) as typeof offlineScenario;
                const result = await scenario(window.AtomscaleStream, opts);
                document.body.textContent = `offline start in ${navigator.userAgent}: ${JSON.stringify(result)}`;
                return result;
              },
              [offlineScenario.toString(), options] as const,
            ),
          { screenshot: "offline-start-chromium" },
        ),
      "offline start in Chromium",
    );
  }, 180_000);
});
