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
