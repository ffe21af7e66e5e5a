#!/usr/bin/env node
/**
 * Benchmarks (`npm run bench`, `npm run bench -- --quick`): figures are ratios measured within one run
 * on one machine, never wall-clock limits. Prints a table and writes bench/results.json.
 *
 *   chunk_stream  ChunkStream vs a plain loop (here)
 *   outage        a FileOutbox through an outage, then the drain (here)
 *   e2e           end to end vs influxdb-client and a bare fetch loop, against bench/sink.mjs (e2e.mjs)
 *   latency       acquisition → acknowledgement at 10 Hz × 8 channels (latency.mjs)
 *   emulator      slices/s the emulator stores, and per CPU-second of its process, PGlite and PostgreSQL (emulator.mjs)
 *   browser       end to end in Chromium with an IndexedDbOutbox (browser.mjs)
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ChunkStream, TimeseriesStreamer } from "../dist/index.js";
import { FileOutbox } from "../dist/fs.js";
import { browserEndToEnd } from "./browser.mjs";
import { dirBytes, freePort, makeBatches, median, quick, serve, time } from "./common.mjs";
import { endToEnd } from "./e2e.mjs";
import { emulatorThroughput } from "./emulator.mjs";
import { latency } from "./latency.mjs";

/** The baseline: the same readings copied into per-channel Float64Arrays of pointsPerChunk. */
function plainLoop(batches, ppc) {
  const buffers = new Map();
  let slices = 0;
  for (const batch of batches) {
    for (const r of batch) {
      let b = buffers.get(r.channel);
      if (!b) buffers.set(r.channel, (b = { t: new Float64Array(ppc), v: new Float64Array(ppc), n: 0 }));
      b.t[b.n] = r.t;
      b.v[b.n] = r.value;
      if (++b.n === ppc) {
        slices++;
        b.t = new Float64Array(ppc);
        b.v = new Float64Array(ppc);
        b.n = 0;
      }
    }
  }
  return slices;
}

async function throughChunkStream(batches, ppc) {
  let slices = 0;
  let i = 0;
  const source = new ReadableStream({
    pull(c) {
      if (i < batches.length) c.enqueue(batches[i++]);
      else c.close();
    },
  });
  await source
    .pipeThrough(new ChunkStream({ pointsPerChunk: ppc, maxLatencyMs: 0 }))
    .pipeTo(new WritableStream({ write: (s) => void (slices += s.length) }));
  return slices;
}

async function chunkStreamVsLoop() {
  const total = quick ? 400_000 : 2_000_000;
  const batches = makeBatches(total, 8, 800);
  const rounds = quick ? 3 : 5;
  plainLoop(batches, 100); // warm-up
  await throughChunkStream(batches, 100);
  const ours = [];
  const loop = [];
  for (let r = 0; r < rounds; r++) {
    ours.push(total / (await time(() => throughChunkStream(batches, 100))));
    loop.push(total / (await time(() => plainLoop(batches, 100))));
  }
  return [
    { name: "chunk_stream_points_per_s", value: median(ours), unit: "points/s", note: "ChunkStream, 8 channels, batches of 800 readings, pointsPerChunk 100" },
    { name: "plain_loop_points_per_s", value: median(loop), unit: "points/s", note: "the same readings copied into Float64Arrays" },
    { name: "chunk_stream_vs_loop", value: median(ours) / median(loop), unit: "ratio", note: "ours ÷ plain loop (higher is better; 1 = as fast)" },
  ];
}

/** 1 kHz × 8 channels with the server down, into a FileOutbox; then the server returns and the outbox drains. */
async function outageAndDrain() {
  const seconds = quick ? 30 : 180;
  const rate = 1000;
  const channels = 8;
  const port = await freePort();
  const dataDir = await mkdtemp(join(os.tmpdir(), "bench-emu-"));
  const outboxDir = await mkdtemp(join(os.tmpdir(), "bench-outbox-"));
  let emu = await serve(["--port", String(port), "--data-dir", dataDir]);
  const endpoint = emu.url;
  const init = await fetch(`${endpoint}/metrology/stream/initialize`, { method: "POST", headers: { "X-API-KEY": emu.apiKey, "Content-Type": "application/json" }, body: JSON.stringify({ points_per_chunk: 100, stream_name: "bench outage" }) });
  const { data_id: dataId } = await init.json();
  await emu.stop(); // the outage

  const streamer = new TimeseriesStreamer({ apiKey: emu.apiKey, endpoint, pointsPerChunk: 100, outbox: new FileOutbox({ dir: outboxDir, capacityBytes: 2 ** 30 }), retry: { baseDelayMs: 100, maxDelayMs: 1000 } });
  await streamer.ready;
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const writer = streamer.writable(dataId, { maxLatencyMs: 1000, finalizeOnClose: false }).getWriter();
  const T0 = 1_764_000_000;
  const started = process.hrtime.bigint();
  for (let tick = 0; tick < seconds * 10; tick++) {
    const batch = [];
    for (let i = tick * 100; i < (tick + 1) * 100; i++) for (let c = 0; c < channels; c++) batch.push({ channel: `ch${c}`, t: T0 + i / rate, value: c * 1e6 + i });
    await writer.write(batch);
  }
  const acceptSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const points = seconds * rate * channels;
  const rss = process.memoryUsage().rss;
  const outboxBytes = await dirBytes(outboxDir);

  emu = await serve(["--port", String(port), "--data-dir", dataDir]);
  streamer.retryNow();
  const drainStart = process.hrtime.bigint();
  await streamer.flush(dataId);
  const drainSeconds = Number(process.hrtime.bigint() - drainStart) / 1e9;
  await writer.close().catch(() => {});
  await streamer.close();
  await emu.stop();
  await rm(dataDir, { recursive: true, force: true });
  await rm(outboxDir, { recursive: true, force: true });
  const note = `${seconds} s at ${rate} Hz × ${channels} channels (${points.toLocaleString("en-US")} points) with the server down`;
  return [
    { name: "outage_accept_points_per_s", value: points / acceptSeconds, unit: "points/s", note: `into the FileOutbox (fsync per slice), ${note}` },
    { name: "outage_rss_mb", value: rss / 2 ** 20, unit: "MiB", note: `process RSS after the outage (before it: ${(rssBefore / 2 ** 20).toFixed(0)} MiB)` },
    { name: "outage_outbox_mb", value: outboxBytes / 2 ** 20, unit: "MiB", note: "bytes on disk in the outbox directory" },
    { name: "drain_points_per_s", value: points / drainSeconds, unit: "points/s", note: "server back (emulator on PGlite, own process): outbox to acked" },
    { name: "drain_vs_acquisition", value: points / drainSeconds / (rate * channels), unit: "ratio", note: `the drain ÷ the acquisition rate (${rate} Hz × ${channels} channels = ${(rate * channels).toLocaleString("en-US")} points/s)` },
  ];
}

/**
 * The groups of figures, in the order of the table. Each runs alone (nothing else of the benchmark runs
 * meanwhile); "outage" runs right after "chunk_stream", before the end-to-end runs grow the heap, so
 * that its RSS says what the outage costs. `--only=e2e,latency` runs some of them.
 */
const groups = {
  chunk_stream: chunkStreamVsLoop,
  e2e: endToEnd,
  latency,
  outage: outageAndDrain,
  emulator: emulatorThroughput,
  browser: browserEndToEnd,
};
const runOrder = ["chunk_stream", "outage", "e2e", "latency", "emulator", "browser"];
const only = process.argv.find((a) => a.startsWith("--only="))?.slice(7).split(",");
const results = {};
const took = {};
const started = Date.now();
for (const name of runOrder) {
  if (only && !only.includes(name)) continue;
  const t = Date.now();
  process.stderr.write(`bench: ${name} …\n`);
  results[name] = await groups[name]();
  took[name] = (Date.now() - t) / 1000;
}
const seconds = (Date.now() - started) / 1000;
const figures = Object.keys(groups).flatMap((name) => results[name] ?? []);

const machine = { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? "unknown", memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.versions.node, platform: `${os.platform()} ${os.release()}` };
const fmt = (v) => (v === null ? "—" : v >= 1000 ? Math.round(v).toLocaleString("en-US") : v.toFixed(3));
console.log(`atomscale-stream benchmarks${quick ? " (--quick)" : ""} — ${machine.cpus} × ${machine.model}, Node ${machine.node}\n`);
console.log(`${"figure".padEnd(30)} ${"value".padStart(14)}  unit      note`);
for (const f of figures) console.log(`${f.name.padEnd(30)} ${fmt(f.value).padStart(14)}  ${f.unit.padEnd(8)}  ${f.note}`);
console.log(`\n${seconds.toFixed(0)} s (${Object.entries(took).map(([k, v]) => `${k} ${v.toFixed(0)} s`).join(", ")})`);
const out = fileURLToPath(new URL("./results.json", import.meta.url));
await writeFile(out, JSON.stringify({ date: new Date().toISOString(), quick, machine, seconds, took, figures }, null, 2) + "\n");
console.log(`written: ${out}`);
