#!/usr/bin/env node
/**
 * Benchmarks (`npm run bench`, `npm run bench -- --quick`): figures are ratios measured within one run
 * on one machine, never wall-clock limits. Prints a table and writes bench/results.json.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ChunkStream, TimeseriesStreamer } from "../dist/index.js";
import { FileOutbox } from "../dist/fs.js";

const quick = process.argv.includes("--quick");
const T0 = 1_764_000_000;

/** Batches of readings from `channels` channels, `perBatch` readings each, as an instrument parser makes them. */
function makeBatches(total, channels, perBatch) {
  const batches = [];
  let n = 0;
  while (n < total) {
    const batch = [];
    for (let k = 0; k < perBatch && n < total; k += channels) {
      const i = n / channels;
      for (let c = 0; c < channels && n < total; c++, n++) batch.push({ channel: `ch${c}`, t: T0 + i * 0.001, value: c + i * 0.5 });
    }
    batches.push(batch);
  }
  return batches;
}

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

async function time(fn) {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

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

/** Run `atomscale-stream serve` as its own process; resolves with its URL and key. */
async function serve(args) {
  const child = spawn(process.execPath, [fileURLToPath(new URL("../dist/cli/bin.js", import.meta.url)), "serve", ...args], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  await new Promise((resolve, reject) => {
    child.stdout.setEncoding("utf8").on("data", (s) => {
      out += s;
      if (/API key: \S+/.test(out)) resolve();
    });
    child.once("exit", (code) => reject(new Error(`emulator exited with ${code}: ${out}`)));
  });
  return {
    url: /listening on (\S+)/.exec(out)[1],
    apiKey: /API key: (\S+)/.exec(out)[1],
    stop: () => new Promise((r) => (child.once("exit", r), child.kill("SIGTERM"))),
  };
}

async function freePort() {
  const server = createServer();
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

async function dirBytes(dir) {
  let n = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) n += (await stat(join(entry.parentPath ?? entry.path, entry.name))).size;
  }
  return n;
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
  ];
}

const figures = [...(await chunkStreamVsLoop()), ...(await outageAndDrain())];

const machine = { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? "unknown", memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.versions.node, platform: `${os.platform()} ${os.release()}` };
const fmt = (v) => (v >= 1000 ? Math.round(v).toLocaleString("en-US") : v.toFixed(3));
console.log(`atomscale-stream benchmarks${quick ? " (--quick)" : ""} — ${machine.cpus} × ${machine.model}, Node ${machine.node}\n`);
console.log(`${"figure".padEnd(28)} ${"value".padStart(14)}  unit      note`);
for (const f of figures) console.log(`${f.name.padEnd(28)} ${fmt(f.value).padStart(14)}  ${f.unit.padEnd(8)}  ${f.note}`);
const out = fileURLToPath(new URL("./results.json", import.meta.url));
await writeFile(out, JSON.stringify({ date: new Date().toISOString(), quick, machine, figures }, null, 2) + "\n");
console.log(`\nwritten: ${out}`);
