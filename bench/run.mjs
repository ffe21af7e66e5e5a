#!/usr/bin/env node
/**
 * Benchmarks (`npm run bench`, `npm run bench -- --quick`): figures are ratios measured within one run
 * on one machine, never wall-clock limits. Prints a table and writes bench/results.json.
 */
import { writeFile } from "node:fs/promises";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { ChunkStream } from "../dist/index.js";

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

const figures = [...(await chunkStreamVsLoop())];

const machine = { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? "unknown", memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.versions.node, platform: `${os.platform()} ${os.release()}` };
const fmt = (v) => (v >= 1000 ? Math.round(v).toLocaleString("en-US") : v.toFixed(3));
console.log(`atomscale-stream benchmarks${quick ? " (--quick)" : ""} — ${machine.cpus} × ${machine.model}, Node ${machine.node}\n`);
console.log(`${"figure".padEnd(28)} ${"value".padStart(14)}  unit      note`);
for (const f of figures) console.log(`${f.name.padEnd(28)} ${fmt(f.value).padStart(14)}  ${f.unit.padEnd(8)}  ${f.note}`);
const out = fileURLToPath(new URL("./results.json", import.meta.url));
await writeFile(out, JSON.stringify({ date: new Date().toISOString(), quick, machine, figures }, null, 2) + "\n");
console.log(`\nwritten: ${out}`);
