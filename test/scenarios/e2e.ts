/**
 * The end-to-end scenario every runtime runs (Node, Deno, Chromium): 3 channels × N points into a
 * stream through a TimeseriesStreamer, by one of the three ways in. Self-contained on purpose (no
 * imports, the library passed in) so the same function runs in a page via `page.evaluate`.
 * The caller reads the server back and compares point by point with `expectedPoint`.
 */

export interface ScenarioOptions {
  endpoint: string;
  apiKey: string;
  method: "writable" | "pushMulti" | "run";
  points: number;
  pointsPerChunk: number;
  streamName: string;
}

export interface ScenarioResult {
  dataId: string;
  finalizeStatus: string;
  stats: Record<string, unknown>;
  errors: number;
}

export const CHANNELS = ["temperature", "pressure", "rate"] as const;
export const T0 = 1_764_000_000;

/**
 * Point i of channel c: what the scenario sends and what the server must hold at position i.
 * Only IEEE-exact operations (+, *, /, %): Math.sin and friends differ in the last bit between
 * JavaScript engines, and the scenario runs in several.
 */
export function expectedPoint(c: number, i: number): [number, number] {
  return [T0 + i * 0.01, c * 1000 + i * 0.001 + ((i * 7919) % 1009) / 7];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function e2eScenario(lib: any, o: ScenarioOptions): Promise<ScenarioResult> {
  const channels = ["temperature", "pressure", "rate"];
  const units = ["C", "mbar", "nm/s"];
  const point = (c: number, i: number): [number, number] => [1_764_000_000 + i * 0.01, c * 1000 + i * 0.001 + ((i * 7919) % 1009) / 7];
  const streamer = new lib.TimeseriesStreamer({
    apiKey: o.apiKey,
    endpoint: o.endpoint,
    pointsPerChunk: o.pointsPerChunk,
    concurrency: 4,
    timeoutMs: 5000,
    retry: { baseDelayMs: 20, maxDelayMs: 400, maxRetryAfterMs: 1500 },
  });
  let errors = 0;
  streamer.addEventListener("error", () => errors++);
  const dataId: string = await streamer.initialize({ streamName: o.streamName });
  let finalizeStatus = "none";
  if (o.method === "writable") {
    const batch = 500;
    let i = 0;
    const readable = new ReadableStream({
      pull(controller) {
        if (i >= o.points) return controller.close();
        const readings = [];
        for (const end = Math.min(o.points, i + batch); i < end; i++) {
          for (let c = 0; c < 3; c++) {
            const [t, value] = point(c, i);
            readings.push({ channel: channels[c], t, value, units: units[c] });
          }
        }
        controller.enqueue(readings);
      },
    });
    await readable.pipeTo(streamer.writable(dataId, { maxLatencyMs: 1000, finalizeTimeoutMs: 120_000 }));
    finalizeStatus = streamer.stats(dataId).state;
  } else if (o.method === "pushMulti") {
    for (let chunk = 0; chunk * o.pointsPerChunk < o.points; chunk++) {
      const channelData: Record<string, { timestamps: number[]; values: number[]; units: string }> = {};
      for (let c = 0; c < 3; c++) {
        const timestamps: number[] = [];
        const values: number[] = [];
        for (let i = chunk * o.pointsPerChunk; i < Math.min(o.points, (chunk + 1) * o.pointsPerChunk); i++) {
          const [t, v] = point(c, i);
          timestamps.push(t);
          values.push(v);
        }
        channelData[channels[c]!] = { timestamps, values, units: units[c]! };
      }
      await streamer.pushMulti(dataId, { chunkIndex: chunk, channels: channelData });
    }
    finalizeStatus = (await streamer.finalize(dataId, { timeoutMs: 120_000 })).status;
  } else {
    await Promise.all(
      channels.map((name, c) => {
        function* chunks() {
          for (let start = 0; start < o.points; start += o.pointsPerChunk) {
            const timestamps: number[] = [];
            const values: number[] = [];
            for (let i = start; i < Math.min(o.points, start + o.pointsPerChunk); i++) {
              const [t, v] = point(c, i);
              timestamps.push(t);
              values.push(v);
            }
            yield [timestamps, values] as const;
          }
        }
        return streamer.run(dataId, { channelName: name, dataIter: chunks(), units: units[c] });
      }),
    );
    finalizeStatus = (await streamer.finalize(dataId, { timeoutMs: 120_000 })).status;
  }
  const stats = streamer.stats(dataId);
  await streamer.close();
  return { dataId, finalizeStatus, stats, errors };
}
