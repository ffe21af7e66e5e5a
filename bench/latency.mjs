/**
 * Latency from acquisition to acknowledgement at an instrument's pace: 10 Hz × 8 channels, one reading
 * per channel per tick stamped with nowSeconds() as it is made, through streamer.writable() with
 * maxLatencyMs 1000 (pointsPerChunk 100: a chunk fills every 10 s, so most readings travel in partial
 * slices), against the real emulator (`serve --memory`, its own process).
 *
 * How a reading's acknowledgement is found: the streamer's fetch is wrapped; when a chunk or chunk/multi
 * request is answered 2xx, the (channel, timestamp) pairs of its body are noted, and the next `progress`
 * event the streamer emits (it follows the outbox's ack of that request) marks each pair not seen
 * before as acknowledged at that moment. latency = progress event time − the reading's timestamp (both
 * epoch time from performance.timeOrigin + performance.now()). A reading counts once, at the first
 * request that covered it (a partial slice, or the full one if no partial carried it).
 */
import { nowSeconds, TimeseriesStreamer } from "../dist/index.js";
import { quantile, quick, serve } from "./common.mjs";

const CHANNELS = 8;
const HZ = 10;

export async function latency() {
  const warmupSeconds = 2;
  const seconds = quick ? 20 : 60;
  const emu = await serve(["--memory", "--port", "0"]);
  try {
    const acked = new Map(); // `${channel}\0${t}` → ack time (epoch s)
    let answered = []; // pairs answered, waiting for the progress event
    const watching = async (input, init) => {
      const response = await fetch(input, init);
      if (response.ok && /\/stream\/chunk(\/multi)?$/.test(new URL(typeof input === "string" ? input : input.url).pathname)) {
        const text = typeof init?.body === "string" ? init.body : await new Request(input, init).text();
        const body = JSON.parse(text);
        const channels = body.channels ?? { [body.channel_name]: body };
        for (const [channel, { timestamps }] of Object.entries(channels)) for (const t of timestamps) answered.push(`${channel}\0${t}`);
      }
      return response;
    };
    const streamer = new TimeseriesStreamer({ apiKey: emu.apiKey, endpoint: emu.url, pointsPerChunk: 100, fetch: watching });
    streamer.addEventListener("progress", () => {
      const at = nowSeconds();
      for (const k of answered) if (!acked.has(k)) acked.set(k, at);
      answered = [];
    });
    const dataId = await streamer.initialize({ streamName: "bench latency" });
    const writer = streamer.writable(dataId, { maxLatencyMs: 1000 }).getWriter();
    const made = []; // [key, t, measured]
    const ticks = (warmupSeconds + seconds) * HZ;
    const start = performance.now();
    for (let i = 0; i < ticks; i++) {
      const wait = start + (i * 1000) / HZ - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const t = nowSeconds();
      const batch = [];
      for (let c = 0; c < CHANNELS; c++) {
        batch.push({ channel: `ch${c}`, t, value: Math.sin(i / 50 + c) });
        made.push([`ch${c}\0${t}`, t, i >= warmupSeconds * HZ]);
      }
      await writer.write(batch);
    }
    await writer.close(); // seals the open chunks, waits for the acks, finalizes
    await streamer.close();
    const latencies = [];
    for (const [k, t, measured] of made) {
      const at = acked.get(k);
      if (at === undefined) throw new Error(`latency: reading ${k.replace("\0", "@")} was never acknowledged`);
      if (measured) latencies.push((at - t) * 1000);
    }
    const note = `${HZ} Hz × ${CHANNELS} channels for ${seconds} s (${latencies.length} readings, after ${warmupSeconds} s not counted), maxLatencyMs 1000, emulator on PGlite in memory`;
    return [
      { name: "latency_p50_ms", value: quantile(latencies, 0.5), unit: "ms", note: `acquisition → acknowledged (progress event), median; ${note}` },
      { name: "latency_p99_ms", value: quantile(latencies, 0.99), unit: "ms", note: `the same, 99th percentile (max ${Math.max(...latencies).toFixed(0)} ms)` },
      { name: "latency_p99_overhead_ms", value: quantile(latencies, 0.99) - 1000, unit: "ms", note: "latency_p99_ms − maxLatencyMs: what the pipeline adds to what maxLatencyMs asks for (goal ≤ 50 ms)" },
    ];
  } finally {
    await emu.stop();
  }
}
