/**
 * The offline-start scenario every runtime runs (Node, Deno, Chromium): the platform is unreachable when
 * the stream starts; `initialize()` returns a local id within its bound; readings are written through
 * `writable()`; the scenario then asks for the marker path `/offline-scenario/written` (which the test
 * waits for at its proxy before ending the outage) and closes the writable, which finalizes once the
 * initialize, the slices and the verification went through. Self-contained (no imports, the library
 * passed in) so it runs in a page via `page.evaluate`. Points as in `e2e.ts`'s `expectedPoint`.
 */

export interface OfflineScenarioOptions {
  endpoint: string;
  apiKey: string;
  points: number;
  streamName: string;
  /** Use an IndexedDbOutbox of this name (browsers). */
  indexedDb?: string;
}

export interface OfflineScenarioResult {
  dataId: string;
  /** The platform's id was unknown right after initialize (the start was offline). */
  startedOffline: boolean;
  platformDataId: string | null;
  stats: Record<string, unknown>;
  initializedEvents: number;
}

export const OFFLINE_MARKER = "/offline-scenario/written";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function offlineScenario(lib: any, o: OfflineScenarioOptions): Promise<OfflineScenarioResult> {
  const channels = ["temperature", "pressure", "rate"];
  const point = (c: number, i: number): [number, number] => [1_764_000_000 + i * 0.01, c * 1000 + i * 0.001 + ((i * 7919) % 1009) / 7];
  const streamer = new lib.TimeseriesStreamer({
    apiKey: o.apiKey,
    endpoint: o.endpoint,
    pointsPerChunk: 100,
    initializeTimeoutMs: 500,
    timeoutMs: 2000,
    retry: { baseDelayMs: 50, maxDelayMs: 300 },
    ...(o.indexedDb ? { outbox: new lib.IndexedDbOutbox({ name: o.indexedDb }) } : {}),
  });
  let initializedEvents = 0;
  streamer.addEventListener("initialized", () => initializedEvents++);
  const dataId: string = await streamer.initialize({ streamName: o.streamName });
  const startedOffline = streamer.platformDataId(dataId) === undefined;
  const writer = streamer.writable(dataId, { maxLatencyMs: 100, finalizeTimeoutMs: 120_000 }).getWriter();
  for (let i = 0; i < o.points; i += 50) {
    const batch = [];
    for (let k = i; k < Math.min(o.points, i + 50); k++) {
      for (let c = 0; c < 3; c++) {
        const [t, value] = point(c, k);
        batch.push({ channel: channels[c], t, value });
      }
    }
    await writer.write(batch);
  }
  await fetch(`${o.endpoint}${"/offline-scenario/written"}`).catch(() => undefined);
  await writer.close();
  const result = { dataId, startedOffline, platformDataId: streamer.platformDataId(dataId) ?? null, stats: streamer.stats(dataId), initializedEvents };
  await streamer.close();
  return result;
}
