/**
 * Builds in turns, one process, one sink: `node bench/builds.mjs before=/tmp/old after=. [--chunk] [--no-e2e]`
 * (env TOTAL points a round, default 1 000 000; ROUNDS, default 8). Each directory holds a `dist/` built
 * from the code to compare, with its `package.json` and a `node_modules` (a symlink to this checkout's)
 * beside it — e.g. `npm run build` at the commit before, then `cp -r dist package.json /tmp/old/` and
 * `ln -s $PWD/node_modules /tmp/old/`; single modules can be swapped into a copy to measure one change.
 * Prints, per build, the e2e run's client CPU per million points (ours as in bench/e2e.mjs: MemoryOutbox,
 * 8 channels, batches of 800 one per event-loop turn, 4 in flight) and, with `--chunk`, ChunkStream's
 * time, each as a median and ÷ the first build's, with the paired ratios of each round. The order of the
 * builds alternates round by round. The figures in the README's "Before and after, same run" come from it.
 */
import { resolve } from "node:path";
import { makeBatches, median, nextTurn, sink, timeAndCpu } from "./common.mjs";

const builds = process.argv.slice(2).filter((a) => a.includes("=")).map((a) => a.split("=", 2));
if (builds.length < 1) throw new Error("usage: node bench/builds.mjs name=dir [name=dir …] [--chunk] [--no-e2e]");
const libs = [];
for (const [name, dir] of builds) libs.push([name, await import(`${resolve(dir)}/dist/index.js`)]);
const total = Number(process.env.TOTAL ?? 1_000_000);
const rounds = Number(process.env.ROUNDS ?? 8);
const CHUNK = process.argv.includes("--chunk");
const E2E = !process.argv.includes("--no-e2e");
const batches = makeBatches(total, 8, 800);

async function ours(lib, url) {
  const streamer = new lib.TimeseriesStreamer({ apiKey: "bench", endpoint: url, pointsPerChunk: 100, concurrency: 4 });
  const dataId = await streamer.initialize({ streamName: "builds" });
  const writer = streamer.writable(dataId, { maxLatencyMs: 1000, finalizeOnClose: false }).getWriter();
  const m = await timeAndCpu(async () => {
    for (const b of batches) {
      await writer.write(b);
      await nextTurn();
    }
    await streamer.flush(dataId);
  });
  if (streamer.stats(dataId).ackedPoints !== total) throw new Error(`${streamer.stats(dataId).ackedPoints} of ${total} points acked`);
  await writer.close();
  await streamer.close();
  return m.cpu / (total / 1e6);
}

const chunkBatches = batches.slice(0, 500);
async function chunk(lib) {
  const t0 = process.hrtime.bigint();
  await new ReadableStream({
    start(c) {
      for (const b of chunkBatches) c.enqueue(b);
      c.close();
    },
  })
    .pipeThrough(new lib.ChunkStream({ pointsPerChunk: 100, maxLatencyMs: 0 }))
    .pipeTo(new WritableStream({ write() {} }));
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const s = await sink();
const e2e = Object.fromEntries(libs.map(([n]) => [n, []]));
const chunks = Object.fromEntries(libs.map(([n]) => [n, []]));
try {
  for (let w = 0; w < 2; w++) {
    for (const [, lib] of libs) {
      if (E2E) await ours(lib, s.url);
      if (CHUNK) for (let i = 0; i < 5; i++) await chunk(lib);
    }
  }
  for (let r = 0; r < rounds; r++) {
    for (const [n, lib] of r % 2 ? [...libs].reverse() : libs) {
      if (E2E) e2e[n].push(await ours(lib, s.url));
      if (CHUNK) for (let i = 0; i < 5; i++) chunks[n].push(await chunk(lib));
    }
  }
} finally {
  await s.stop();
}
const [base] = libs[0];
for (const [n] of libs) {
  const parts = [n];
  if (E2E) parts.push(`e2e CPU s per million points ${median(e2e[n]).toFixed(3)}, ÷ ${base} ${(median(e2e[n]) / median(e2e[base])).toFixed(3)} (paired: ${e2e[n].map((x, i) => (x / e2e[base][i]).toFixed(2)).join(" ")})`);
  if (CHUNK) parts.push(`ChunkStream time ÷ ${base} ${(median(chunks[n]) / median(chunks[base])).toFixed(3)}`);
  console.log(parts.join("; "));
}
