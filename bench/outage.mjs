#!/usr/bin/env node
/**
 * The outage figures: 1 kHz × 8 channels with the server down, into a FileOutbox (default capacity),
 * then the server returns and the outbox drains. In a process of its own started with `--expose-gc`,
 * so that its RSS is this scenario's alone and is read after a full collection.
 *
 * First the streamer runs in real time with the server up for 30 s, as at a lab before
 * the platform goes away — V8 sizes its heap in those first seconds whatever happens next, and the
 * figures are about the outage, not about that. Then the server stops and the readings of the outage
 * are written as fast as the outbox takes them (`seconds` of readings, accelerated).
 *
 * Memory is sampled twice in the same run: after the first tenth of the outage and at its end
 * (full: 60 s and 600 s of readings; --quick: 6 s and 60 s) — `outage_rss_growth_mb` is the difference.
 *
 * Run alone: `node bench/outage.mjs [--quick]` prints the figures as JSON. `DIST=/path/to/dist` measures
 * another build (e.g. the one before a change); `EMULATOR_DIST=/path/to/dist` another build's emulator.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import v8 from "node:v8";
import { dirBytes, freePort, quick, ROOT, serve as serveThisBuild, spawnProcess } from "./common.mjs";

const SELF = fileURLToPath(import.meta.url);

/** The emulator: this build's, or the one under EMULATOR_DIST. */
async function serve(args) {
  if (!process.env.EMULATOR_DIST) return serveThisBuild(args);
  const p = await spawnProcess([join(process.env.EMULATOR_DIST, "cli/bin.js"), "serve", ...args], [/listening on (\S+)/, /API key: (\S+)/]);
  return { url: p.found[0], apiKey: p.found[1], pid: p.child.pid, stop: p.stop };
}

/** One measurement in a child process (`node --expose-gc [flags] bench/outage.mjs --child`). */
async function measure(nodeFlags, args) {
  const child = spawn(process.execPath, ["--expose-gc", ...nodeFlags, SELF, "--child", ...args, ...(quick ? ["--quick"] : [])], { stdio: ["ignore", "pipe", "inherit"], env: process.env });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (s) => (out += s));
  const code = await new Promise((r) => child.once("exit", r));
  if (code !== 0) throw new Error(`bench/outage.mjs exited with ${code}: ${out}`);
  return JSON.parse(out.trim().split("\n").at(-1));
}

/**
 * The figures: once as Node runs by default, and once more (the outage only) with V8's young generation
 * kept small (`--max-semi-space-size=2`): most of the RSS above the heap in use is that reserve, which
 * V8 sizes from the allocation rate in the first seconds, whatever the outage's length.
 */
export async function outageAndDrain() {
  const figures = await measure([], []);
  const small = await measure(["--max-semi-space-size=2"], ["--outage-only"]);
  const pick = (name) => small.find((f) => f.name === name);
  return [
    ...figures,
    { ...pick("outage_rss_mb"), name: "outage_rss_mb_small_young_gen", note: `the same with node --max-semi-space-size=2: ${pick("outage_rss_mb").note}` },
    { ...pick("outage_rss_growth_mb"), name: "outage_rss_growth_mb_small_young_gen", note: `the same with node --max-semi-space-size=2: ${pick("outage_rss_growth_mb").note}` },
  ];
}

const mb = (bytes) => bytes / 2 ** 20;

/** POST a JSON body with node:http; resolves the parsed answer. */
function postJson(url, apiKey, body) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: "POST", headers: { "X-API-KEY": apiKey, "Content-Type": "application/json" } }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (s) => (text += s));
      res.on("end", () => (res.statusCode === 200 ? resolve(JSON.parse(text)) : reject(new Error(`${url}: ${res.statusCode} ${text}`))));
    });
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

function memory() {
  globalThis.gc();
  globalThis.gc();
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
  const newSpace = v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space")?.space_size ?? 0;
  // Linux: how much of the RSS is mapped files (node's own binary and libraries) and how much is memory the process allocated.
  let rssFile;
  try {
    rssFile = Number(/RssFile:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1]) * 1024 || undefined;
  } catch {
    rssFile = undefined;
  }
  return { rss, heapUsed, heapTotal, external, arrayBuffers, newSpace, rssFile };
}

/** Where a sample's RSS is: mapped files, V8's heap (its young generation apart), the rest (native allocations, external buffers). */
function breakdown(m) {
  const f = (b) => mb(b).toFixed(1);
  const files = m.rssFile === undefined ? "" : `files (node's binary, libraries) ${f(m.rssFile)}, `;
  const rest = m.rss - (m.rssFile ?? 0) - m.heapTotal;
  return `${f(m.rss)} MiB = ${files}V8 heap ${f(m.heapTotal)} (young generation ${f(m.newSpace)}, in use after GC ${f(m.heapUsed)}), other ${f(rest)} (external ${f(m.external)})`;
}

async function child() {
  const dist = process.env.DIST ?? join(ROOT, "dist");
  const { TimeseriesStreamer } = await import(pathToFileURL(join(dist, "index.js")).href);
  const { FileOutbox } = await import(pathToFileURL(join(dist, "fs.js")).href);
  const seconds = quick ? 60 : 600;
  const early = seconds / 10;
  const rate = 1000;
  const channels = 8;
  const port = await freePort();
  const dataDir = await mkdtemp(join(os.tmpdir(), "bench-emu-"));
  const outboxDir = await mkdtemp(join(os.tmpdir(), "bench-outbox-"));
  let emu = await serve(["--port", String(port), "--data-dir", dataDir]);
  const endpoint = emu.url;
  // Through node:http, as the library's uploads go: a `fetch` here would load Node's fetch (undici,
  // about 9 MB of RSS) into this process for one request — the bench's memory, not the library's.
  const { data_id: dataId } = await postJson(`${endpoint}/metrology/stream/initialize`, emu.apiKey, { points_per_chunk: 100, stream_name: "bench outage" });
  const outbox = new FileOutbox({ dir: outboxDir, ...(process.env.CAPACITY ? { capacityBytes: Number(process.env.CAPACITY) } : {}) });
  const streamer = new TimeseriesStreamer({ apiKey: emu.apiKey, endpoint, pointsPerChunk: 100, outbox, retry: { baseDelayMs: 100, maxDelayMs: 1000 } });
  await streamer.ready;
  const writer = streamer.writable(dataId, { maxLatencyMs: 1000, finalizeOnClose: false }).getWriter();
  const T0 = 1_764_000_000;
  let tick = 0;
  const writeTick = () => {
    const batch = [];
    for (let i = tick * 100; i < (tick + 1) * 100; i++) for (let c = 0; c < channels; c++) batch.push({ channel: `ch${c}`, t: T0 + i / rate, value: c * 1e6 + i });
    tick++;
    return writer.write(batch);
  };
  // Real time with the server up.
  const warmupTicks = 30 * 10;
  const warmupStart = performance.now();
  while (tick < warmupTicks) {
    await writeTick();
    const wait = warmupStart + tick * 100 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await streamer.flush(dataId);
  await emu.stop(); // the outage
  const before = memory();
  let atEarly;
  const started = process.hrtime.bigint();
  for (let n = 1; n <= seconds * 10; n++) {
    await writeTick();
    if (n === early * 10) atEarly = memory();
  }
  const acceptSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const points = seconds * rate * channels;
  const warmupPoints = warmupTicks * 100 * channels;
  const atEnd = memory();
  const pendingSlices = streamer.stats(dataId).pendingSlices;
  const outboxBytes = await dirBytes(outboxDir);
  const mem = { before, atEarly, atEnd, pendingSlices, early, seconds };
  if (process.argv.includes("--outage-only")) {
    await writer.abort().catch(() => {});
    await streamer.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(outboxDir, { recursive: true, force: true });
    return memoryFigures(mem);
  }

  emu = await serve(["--port", String(port), "--data-dir", dataDir]);
  streamer.retryNow();
  const drainStart = process.hrtime.bigint();
  await streamer.flush(dataId);
  const drainSeconds = Number(process.hrtime.bigint() - drainStart) / 1e9;
  const back = await fetch(`${emu.url}/metrology/${dataId}/timeseries/`, { headers: { "X-API-KEY": emu.apiKey } }).then((r) => r.json());
  const stored = Object.values(back.properties ?? {}).reduce((n, p) => n + p.values.length, 0);
  if (stored !== points + warmupPoints) throw new Error(`the server holds ${stored} points, expected ${points + warmupPoints}`);
  await writer.close().catch(() => {});
  await streamer.close();
  await emu.stop();
  await rm(dataDir, { recursive: true, force: true });
  await rm(outboxDir, { recursive: true, force: true });
  const note = `${seconds} s of readings at ${rate} Hz × ${channels} channels (${points.toLocaleString("en-US")} points, ${pendingSlices.toLocaleString("en-US")} slices pending) with the server down, written as fast as the outbox takes them`;
  return [
    { name: "outage_accept_points_per_s", value: points / acceptSeconds, unit: "points/s", note: `into the FileOutbox (fsync per slice), ${note}` },
    ...memoryFigures(mem),
    { name: "outage_outbox_mb", value: mb(outboxBytes), unit: "MiB", note: "bytes on disk in the outbox directory" },
    { name: "drain_points_per_s", value: points / drainSeconds, unit: "points/s", note: "server back (emulator on PGlite, own process): outbox to acked" },
    { name: "drain_vs_acquisition", value: points / drainSeconds / (rate * channels), unit: "ratio", note: `the drain ÷ the acquisition rate (${rate} Hz × ${channels} channels = ${(rate * channels).toLocaleString("en-US")} points/s)` },
  ];
}

function memoryFigures({ before, atEarly, atEnd, pendingSlices, early, seconds }) {
  const perSlice = (atEnd.heapUsed + atEnd.arrayBuffers - atEarly.heapUsed - atEarly.arrayBuffers) / (pendingSlices * (1 - early / seconds));
  return [
    { name: "outage_rss_mb", value: mb(atEnd.rss), unit: "MiB", note: `process RSS after a full GC at the end of the outage (at its start, after 30 s streaming in real time: ${mb(before.rss).toFixed(0)} MiB; after ${early} s: ${mb(atEarly.rss).toFixed(0)} MiB). At the start: ${breakdown(before)}; at the end: ${breakdown(atEnd)}` },
    { name: "outage_rss_growth_mb", value: mb(atEnd.rss - atEarly.rss), unit: "MiB", note: `RSS after ${seconds} s − after ${early} s, same run (V8's heap reserve: ${mb(atEarly.heapTotal).toFixed(0)} → ${mb(atEnd.heapTotal).toFixed(0)} MiB)` },
    { name: "outage_memory_per_slice_bytes", value: perSlice, unit: "bytes", note: `JS heap + array buffers after GC per pending slice, between ${early} s and ${seconds} s (heap ${mb(atEarly.heapUsed).toFixed(1)} → ${mb(atEnd.heapUsed).toFixed(1)} MiB, array buffers ${mb(atEarly.arrayBuffers).toFixed(1)} → ${mb(atEnd.arrayBuffers).toFixed(1)} MiB)` },
  ];
}

if (process.argv[1] === SELF) {
  if (process.argv.includes("--child")) console.log(JSON.stringify(await child()));
  else console.log(JSON.stringify(await outageAndDrain(), null, 2));
  process.exit(0);
}
