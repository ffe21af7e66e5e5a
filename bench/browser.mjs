/**
 * End to end inside Chromium (Debian's /usr/bin/chromium through playwright-core, never a downloaded
 * browser): the browser bundle dist/browser/atomscale-stream.js in a page on the emulator's origin
 * (served to the page by request interception, as test/helpers/browser.ts does), a TimeseriesStreamer
 * with an IndexedDbOutbox, readings in → acknowledged by the emulator (`serve --memory`, its own
 * process). The same run with a MemoryOutbox in the same page takes turns with it, so the cost of
 * IndexedDB shows as a ratio.
 *
 * What an IndexedDbOutbox request costs is counted in the page (IndexedDB transactions by mode and
 * durability, Web Lock requests) and in CPU seconds of Chromium's processes (its browser process runs
 * IndexedDB's backend, so the page's own profile does not show it). Two switches, for profiling:
 *
 *   BENCH_BROWSER_PROFILE=file.cpuprofile   the page's CPU profile of one IndexedDbOutbox round (DevTools protocol)
 *   BENCH_BROWSER_BASELINE=path/to/atomscale-stream.js   another build of the browser bundle (e.g. the
 *       previous commit's) takes turns with this one: `browser_idb_vs_memory_baseline` is its ratio, same run
 *
 * Then an outage in a page of its own: 1 kHz × 8 channels into an IndexedDbOutbox with the server
 * unreachable, written as fast as the outbox takes them; the page's JS heap after a full GC (through
 * the DevTools protocol) after a tenth of the outage and at its end (full: 60 s and 600 s of readings;
 * --quick: 6 s and 60 s).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { median, quick, ROOT, serve } from "./common.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic"];
const BUNDLE_PATH = "/__atomscale-stream.js";
const BASELINE_PATH = "/__atomscale-stream-baseline.js";

/** CPU seconds (user + system) of every process under this one (Chromium's, the emulator's), by pid: Linux only. */
function cpuOfChildren() {
  const procs = new Map();
  let dirs = [];
  try {
    dirs = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  for (const d of dirs) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      procs.set(Number(d), { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / 100 });
    } catch {
      /* gone meanwhile */
    }
  }
  const under = (pid, root) => {
    for (let p = pid, i = 0; p > 1 && i < 64; p = procs.get(p)?.ppid ?? 0, i++) if (p === root) return true;
    return false;
  };
  const tree = new Map();
  for (const [pid, x] of procs) if (pid !== process.pid && under(pid, process.pid)) tree.set(pid, { cpu: x.cpu, ppid: x.ppid });
  return { tree, under };
}

/** Chromium's CPU seconds so far (every process under this one except the emulator's tree); 0 where /proc is missing. */
function chromiumCpu(emulatorPid) {
  const c = cpuOfChildren();
  if (!c) return 0;
  let sum = 0;
  for (const [pid, x] of c.tree) if (pid !== emulatorPid && !c.under(pid, emulatorPid)) sum += x.cpu;
  return sum;
}

/** Runs in the page: one end-to-end round; resolves with points/s measured there. */
async function pageRound({ url, apiKey, total, outbox, bundle, round }) {
  const A = await import(bundle);
  // Count IndexedDB transactions (by mode and durability) and Web Lock requests during the round.
  const counts = { transactions: {}, locks: 0 };
  if (!window.__counting) {
    window.__counting = true;
    const transaction = IDBDatabase.prototype.transaction;
    IDBDatabase.prototype.transaction = function (names, mode, options) {
      const key = `${mode ?? "readonly"}${mode === "readwrite" ? `/${options?.durability ?? "default"}` : ""}`;
      if (window.__counts) window.__counts.transactions[key] = (window.__counts.transactions[key] ?? 0) + 1;
      return transaction.call(this, names, mode, options);
    };
    const request = LockManager.prototype.request;
    LockManager.prototype.request = function (...args) {
      if (window.__counts) window.__counts.locks++;
      return request.apply(this, args);
    };
  }
  const channels = 8;
  const perBatch = 800;
  const T0 = 1_764_000_000;
  const batches = [];
  for (let n = 0; n < total; ) {
    const batch = [];
    for (let k = 0; k < perBatch && n < total; k += channels) {
      const i = n / channels;
      for (let c = 0; c < channels && n < total; c++, n++) batch.push({ channel: `ch${c}`, t: T0 + i * 0.001, value: c + i * 0.5 });
    }
    batches.push(batch);
  }
  // A macrotask between batches, without setTimeout's 4 ms clamp.
  const channel = new MessageChannel();
  const nextTurn = () => new Promise((r) => ((channel.port1.onmessage = () => r()), channel.port2.postMessage(0)));
  const store = outbox === "indexeddb" ? new A.IndexedDbOutbox({ name: `bench-${round}-${Math.random().toString(36).slice(2)}` }) : new A.MemoryOutbox();
  const streamer = new A.TimeseriesStreamer({ apiKey, endpoint: url, pointsPerChunk: 100, outbox: store });
  const dataId = await streamer.initialize({ streamName: `bench browser ${outbox}` });
  const writer = streamer.writable(dataId, { maxLatencyMs: 1000, finalizeOnClose: false }).getWriter();
  window.__counts = counts;
  const start = performance.now();
  for (const batch of batches) {
    await writer.write(batch);
    await nextTurn();
  }
  await streamer.flush(dataId);
  const seconds = (performance.now() - start) / 1000;
  const acked = streamer.stats(dataId).ackedPoints;
  window.__counts = undefined;
  await writer.close();
  await streamer.close();
  if (outbox === "indexeddb") await new Promise((r) => ((indexedDB.deleteDatabase(store.name).onsuccess = r), setTimeout(r, 2000)));
  channel.port1.close(); // a port with a handler would keep this round's closures alive
  if (acked !== total) throw new Error(`${acked} of ${total} points acked`);
  return { rate: total / seconds, requests: total / perBatch, counts };
}

/** Runs in the page: write ticks [from, to) of 100 readings × 8 channels into an outage (set up on first call). */
async function pageOutage({ bundle, from, to, name }) {
  const A = await import(bundle);
  const T0 = 1_764_000_000;
  if (!window.__outage) {
    const outbox = new A.IndexedDbOutbox({ name });
    // Port 9 (discard) answers nothing here: every request fails at once, as in a network outage.
    const streamer = new A.TimeseriesStreamer({ apiKey: "outage", endpoint: "http://127.0.0.1:9", pointsPerChunk: 100, outbox, retry: { baseDelayMs: 500, maxDelayMs: 30_000 } });
    const dataId = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
    const writer = streamer.writable(dataId, { maxLatencyMs: 1000, finalizeOnClose: false }).getWriter();
    window.__outage = { outbox, streamer, dataId, writer };
  }
  const { writer, streamer, dataId } = window.__outage;
  for (let tick = from; tick < to; tick++) {
    const batch = [];
    for (let i = tick * 100; i < (tick + 1) * 100; i++) for (let c = 0; c < 8; c++) batch.push({ channel: `ch${c}`, t: T0 + i / 1000, value: c * 1e6 + i });
    await writer.write(batch);
  }
  return streamer.stats(dataId).pendingSlices;
}

async function pageOutageEnd() {
  const { outbox, streamer, writer } = window.__outage;
  await writer.abort().catch(() => {});
  await streamer.close();
  await new Promise((r) => ((indexedDB.deleteDatabase(outbox.name).onsuccess = r), setTimeout(r, 5000)));
  window.__outage = undefined;
}

/** The JS heap of an IndexedDbOutbox page through an outage (see the header). */
async function outageHeap(page, cdp) {
  const seconds = quick ? 60 : 600;
  const early = seconds / 10;
  const heap = async () => {
    await cdp.send("HeapProfiler.collectGarbage");
    await cdp.send("HeapProfiler.collectGarbage");
    return (await cdp.send("Runtime.getHeapUsage")).usedSize;
  };
  const name = `bench-outage-${Math.random().toString(36).slice(2)}`;
  const started = performance.now();
  await page.evaluate(pageOutage, { bundle: BUNDLE_PATH, from: 0, to: early * 10, name });
  const atEarly = await heap();
  let pending = 0;
  for (let from = early * 10; from < seconds * 10; from += 600) pending = await page.evaluate(pageOutage, { bundle: BUNDLE_PATH, from, to: Math.min(seconds * 10, from + 600), name });
  const atEnd = await heap();
  const wall = (performance.now() - started) / 1000;
  await page.evaluate(pageOutageEnd);
  const mb = (b) => b / 2 ** 20;
  const note = `Chromium, IndexedDbOutbox, ${seconds} s of readings at 1 kHz × 8 channels with the server unreachable (${pending.toLocaleString("en-US")} slices pending), written as fast as the outbox takes them (${wall.toFixed(0)} s)`;
  return [
    { name: "browser_outage_heap_mb", value: mb(atEnd), unit: "MiB", note: `page JS heap after GC at the end; ${note}` },
    { name: "browser_outage_heap_growth_mb", value: mb(atEnd - atEarly), unit: "MiB", note: `that − the same after ${early} s (${mb(atEarly).toFixed(1)} MiB)` },
  ];
}

export async function browserEndToEnd() {
  if (!existsSync(CHROMIUM)) {
    const note = `not measured: ${CHROMIUM} is missing (apt-get install chromium, or set CHROMIUM_PATH)`;
    return [{ name: "browser_e2e_points_per_s", value: null, unit: "points/s", note }];
  }
  const { chromium } = await import("playwright-core");
  const total = quick ? 40_000 : 200_000;
  const rounds = quick ? 3 : 5;
  const code = await readFile(join(ROOT, "dist/browser/atomscale-stream.js"), "utf8");
  const emu = await serve(["--memory", "--port", "0"]);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 30_000 });
  try {
    const page = await (await browser.newContext()).newPage();
    page.on("pageerror", (e) => console.error(`[chromium] ${e.message}`));
    await page.route(new URL(BUNDLE_PATH, emu.url).href, (route) => route.fulfill({ status: 200, contentType: "text/javascript; charset=utf-8", body: code }));
    await page.goto(`${emu.url}/healthz`);
    const baseline = process.env.BENCH_BROWSER_BASELINE;
    if (baseline) {
      const old = await readFile(baseline, "utf8");
      await page.route(new URL(BASELINE_PATH, emu.url).href, (route) => route.fulfill({ status: 200, contentType: "text/javascript; charset=utf-8", body: old }));
    }
    const run = (outbox, round, n = total, bundle = BUNDLE_PATH) /* a multiple of 800: only full chunks */ =>
      page.evaluate(pageRound, { url: emu.url, apiKey: emu.apiKey, total: n, outbox, bundle, round });
    const cdp = await page.context().newCDPSession(page);
    await run("indexeddb", -1, 8000); // warm-up
    await run("memory", -1, 8000);
    if (baseline) await run("indexeddb", -1, 8000, BASELINE_PATH);
    const idb = [];
    const memory = [];
    const old = [];
    const cpu = { idb: 0, memory: 0, baseline: 0 };
    const perRequest = { transactions: {}, locks: 0, requests: 0 };
    const profileTo = process.env.BENCH_BROWSER_PROFILE;
    for (let r = 0; r < rounds; r++) {
      if (profileTo && r === 0) await cdp.send("Profiler.enable").then(() => cdp.send("Profiler.start"));
      let c0 = chromiumCpu(emu.pid);
      const x = await run("indexeddb", r);
      let c1 = chromiumCpu(emu.pid);
      if (profileTo && r === 0) await writeFile(profileTo, JSON.stringify((await cdp.send("Profiler.stop")).profile));
      idb.push(x.rate);
      cpu.idb += c1 - c0;
      perRequest.requests += x.requests;
      perRequest.locks += x.counts.locks;
      for (const [k, n] of Object.entries(x.counts.transactions)) perRequest.transactions[k] = (perRequest.transactions[k] ?? 0) + n;
      c0 = chromiumCpu(emu.pid);
      memory.push((await run("memory", r)).rate);
      c1 = chromiumCpu(emu.pid);
      cpu.memory += c1 - c0;
      if (baseline) {
        c0 = chromiumCpu(emu.pid);
        old.push((await run("indexeddb", r, total, BASELINE_PATH)).rate);
        cpu.baseline += chromiumCpu(emu.pid) - c0;
      }
    }
    const note = `8 channels, ${total.toLocaleString("en-US")} points, batches of 800 one per task, against the emulator (PGlite in memory, own process); median of ${rounds} rounds`;
    // The outage in a page of its own: what the end-to-end rounds left in this one is not the outage's cost.
    const outagePage = await (await browser.newContext()).newPage();
    outagePage.on("pageerror", (e) => console.error(`[chromium] ${e.message}`));
    await outagePage.route(new URL(BUNDLE_PATH, emu.url).href, (route) => route.fulfill({ status: 200, contentType: "text/javascript; charset=utf-8", body: code }));
    await outagePage.goto(`${emu.url}/healthz`);
    const outage = await outageHeap(outagePage, await outagePage.context().newCDPSession(outagePage));
    const txPerRequest = Object.entries(perRequest.transactions)
      .filter(([k]) => !k.startsWith("versionchange"))
      .map(([k, n]) => `${k} ${(n / perRequest.requests).toFixed(2)}`)
      .join(", ");
    const txTotal = Object.values(perRequest.transactions).reduce((a, b) => a + b, 0) / perRequest.requests;
    return [
      ...outage,
      { name: "browser_e2e_points_per_s", value: median(idb), unit: "points/s", note: `Chromium, IndexedDbOutbox: readings in → acked; ${note}` },
      { name: "browser_idb_vs_memory", value: median(idb) / median(memory), unit: "ratio", note: `IndexedDbOutbox ÷ MemoryOutbox in the same page, same emulator (${Math.round(median(memory)).toLocaleString("en-US")} points/s)` },
      ...(baseline ? [{ name: "browser_idb_vs_memory_baseline", value: median(old) / median(memory), unit: "ratio", note: `the same for the bundle ${baseline}, taking turns in the same run (${Math.round(median(old)).toLocaleString("en-US")} points/s)` }] : []),
      { name: "browser_idb_transactions_per_request", value: txTotal, unit: "count", note: `IndexedDB transactions an IndexedDbOutbox run made per request of 8 slices (${txPerRequest}); Web Locks ${(perRequest.locks / perRequest.requests).toFixed(2)} a request` },
      ...(cpu.memory > 0 ? [{ name: "browser_cpu_idb_vs_memory", value: cpu.idb / cpu.memory, unit: "ratio", note: `Chromium's CPU seconds (all its processes; IndexedDB's backend runs in the browser process) for the IndexedDbOutbox rounds ÷ the MemoryOutbox rounds (${cpu.idb.toFixed(1)} s / ${cpu.memory.toFixed(1)} s)` }] : []),
      ...(cpu.memory > 0 && baseline ? [{ name: "browser_cpu_idb_vs_memory_baseline", value: cpu.baseline / cpu.memory, unit: "ratio", note: `the same for the baseline bundle's IndexedDbOutbox rounds (${cpu.baseline.toFixed(1)} s)` }] : []),
    ];
  } finally {
    await browser.close().catch(() => {});
    await emu.stop();
  }
}
