#!/usr/bin/env node
/**
 * Benchmarks (`npm run bench`, `npm run bench -- --quick`): figures are ratios measured within one run
 * on one machine, never wall-clock limits. Prints a table and writes bench/results.json.
 *
 *   chunk_stream  ChunkStream vs a plain loop (here)
 *   outage        a FileOutbox through an outage, then the drain (outage.mjs, in a process of its own)
 *   e2e           end to end vs influxdb-client and a bare fetch loop, against bench/sink.mjs (e2e.mjs)
 *   latency       acquisition → acknowledgement at 10 Hz × 8 channels (latency.mjs)
 *   emulator      slices/s the emulator stores, and per CPU-second of its process, PGlite and PostgreSQL (emulator.mjs)
 *   browser       end to end in Chromium with an IndexedDbOutbox, and its JS heap through an outage (browser.mjs)
 */
import { writeFile } from "node:fs/promises";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { ChunkStream } from "../dist/index.js";
import { browserEndToEnd } from "./browser.mjs";
import { makeBatches, median, quick, time } from "./common.mjs";
import { endToEnd } from "./e2e.mjs";
import { emulatorThroughput } from "./emulator.mjs";
import { latency } from "./latency.mjs";
import { outageAndDrain } from "./outage.mjs";

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
  const rounds = quick ? 5 : 7;
  // Warm-up, as for the end-to-end runs: a few rounds each until both are optimised code (one round of
  // 400 000 readings takes ~20 ms, much of it in the interpreter and the baseline compiler the first times).
  for (let w = 0; w < 3; w++) {
    plainLoop(batches, 100);
    await throughChunkStream(batches, 100);
  }
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
