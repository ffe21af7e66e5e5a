/**
 * End to end, readings in → acknowledged by the server, against the loopback sink (bench/sink.mjs, its
 * own process): ours (TimeseriesStreamer + writable(), MemoryOutbox) and @influxdata/influxdb-client's
 * WriteApi with the same points, alternately, median of rounds; plus the ceiling, a bare fetch loop
 * posting our pre-encoded request bodies with our concurrency. CPU is this (the client) process's.
 */
import { InfluxDB, Point } from "@influxdata/influxdb-client";
import http from "node:http";
import { chunkMultiBodyText } from "../dist/api/body.js";
import { TimeseriesStreamer } from "../dist/index.js";
import { makeBatches, median, nextTurn, quick, sink, timeAndCpu } from "./common.mjs";

const CHANNELS = 8;
const PPC = 100;
/** Readings per batch handed to the client: one chunk of every channel. */
const BATCH = CHANNELS * PPC;
/** Our uploader's default window, and the ceiling's. */
const CONCURRENCY = 4;

/**
 * The source: one batch per event-loop turn, as a parser on a fast input delivers them (the client can
 * send and take answers while the readings come).
 */
async function feed(batches, write) {
  for (const batch of batches) {
    await write(batch);
    await nextTurn();
  }
}

/** Ours; `transport` "fetch" gives the client a fetch, which then carries the uploads too (the transport before issue 17). */
async function ours(url, batches, total, transport = "default") {
  const streamer = new TimeseriesStreamer({ apiKey: "bench", endpoint: url, pointsPerChunk: PPC, concurrency: CONCURRENCY, ...(transport === "fetch" ? { fetch: (i, o) => fetch(i, o) } : {}) });
  const dataId = await streamer.initialize({ streamName: "bench e2e" });
  const writable = streamer.writable(dataId, { maxLatencyMs: 1000, finalizeOnClose: false });
  const writer = writable.getWriter();
  const m = await timeAndCpu(async () => {
    await feed(batches, (b) => writer.write(b));
    await streamer.flush(dataId);
  });
  const acked = streamer.stats(dataId).ackedPoints;
  if (acked !== total) throw new Error(`ours: ${acked} of ${total} points acked`);
  await writer.close();
  await streamer.close();
  return m;
}

/**
 * @influxdata/influxdb-client's WriteApi, the idiomatic way: one Point per reading (measurement
 * "reading", tag channel, float field value, microsecond timestamp). batchSize 800 = the points of one
 * of our chunk/multi requests; flushInterval 1000 ms = our maxLatencyMs; gzip off (gzipThreshold
 * Infinity: ours does not compress either, and on loopback it only costs CPU). Done when writeSuccess
 * has counted every line: WriteApi.flush() waits for the last batch only.
 */
async function influx(url, batches, total, encode) {
  let acked = 0;
  let done;
  const all = new Promise((resolve, reject) => (done = { resolve, reject }));
  const writeApi = new InfluxDB({ url, token: "bench" }).getWriteApi("bench", "bench", "us", {
    batchSize: BATCH,
    flushInterval: 1000,
    gzipThreshold: Infinity,
    writeSuccess(lines) {
      acked += lines.length;
      if (acked === total) done.resolve();
    },
    writeFailed(error) {
      done.reject(error);
      return Promise.resolve();
    },
  });
  const m = await timeAndCpu(async () => {
    await feed(batches, encode === "lines" ? (b) => writeApi.writeRecords(b.map(toLine)) : (b) => writeApi.writePoints(b.map(toPoint)));
    await writeApi.flush();
    await all;
  });
  await writeApi.close();
  return m;
}

const toPoint = (r) => new Point("reading").tag("channel", r.channel).floatField("value", r.value).timestamp(Math.round(r.t * 1e6));
const toLine = (r) => `reading,channel=${r.channel} value=${r.value} ${Math.round(r.t * 1e6)}`;

/** The same request bodies ours sends (chunk/multi, 8 channels × 100 points), encoded beforehand. */
function encodeBodies(batches) {
  const encoder = new TextEncoder();
  return batches.map((batch, chunkIndex) => {
    const channels = {};
    for (const r of batch) {
      const ch = (channels[r.channel] ??= { timestamps: [], values: [] });
      ch.timestamps.push(r.t);
      ch.values.push(r.value);
    }
    return encoder.encode(JSON.stringify({ data_id: "00000000-0000-4000-8000-000000000001", chunk_index: chunkIndex, channels }));
  });
}

/** The ceiling: `CONCURRENCY` loops of bare fetch posting the pre-encoded bodies. */
async function ceiling(url, bodies) {
  const target = `${url}/metrology/stream/chunk/multi`;
  const headers = { "Content-Type": "application/json", "X-API-KEY": "bench" };
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const body = bodies[next++];
      const res = await fetch(target, { method: "POST", headers, body });
      if (!res.ok) throw new Error(`ceiling: HTTP ${res.status}`);
      await res.text();
    }
  };
  return timeAndCpu(() => Promise.all(Array.from({ length: CONCURRENCY }, worker)));
}

/** The same loop over node:http (what influxdb-client uses under Node) instead of fetch: the transport's share. */
async function ceilingHttp(url, bodies) {
  const target = new URL(`${url}/metrology/stream/chunk/multi`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const post = (body) =>
    new Promise((resolve, reject) => {
      const req = http.request(
        { host: target.hostname, port: target.port, path: target.pathname, method: "POST", agent, headers: { "Content-Type": "application/json", "X-API-KEY": "bench", "Content-Length": body.length } },
        (res) => {
          if (res.statusCode !== 200) reject(new Error(`ceiling (http): HTTP ${res.statusCode}`));
          res.resume().on("end", resolve);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) await post(bodies[next++]);
  };
  try {
    return await timeAndCpu(() => Promise.all(Array.from({ length: CONCURRENCY }, worker)));
  } finally {
    agent.destroy();
  }
}

/**
 * Body encoding, before and after issue 17, in turns: the request's JSON written straight as text from the
 * slices' arrays (plain arrays of doubles, as the chunker hands them; channels sharing their timestamps)
 * ÷ the former path (a body object per request, each array copied, JSON.stringify).
 */
function encodeFigure(batches) {
  const slices = batches.slice(0, 200).map((batch) => {
    const by = new Map();
    for (const r of batch) {
      let ch = by.get(r.channel);
      if (!ch) by.set(r.channel, (ch = { t: [], v: [] }));
      ch.t.push(r.t);
      ch.v.push(r.value);
    }
    return [...by].map(([name, ch]) => [name, { timestamps: ch.t, values: ch.v }]);
  });
  const before = (entries, i) => {
    const channels = Object.create(null);
    for (const [name, p] of entries) channels[name] = { timestamps: Array.from(p.timestamps), values: Array.from(p.values) };
    return JSON.stringify({ data_id: "00000000-0000-4000-8000-000000000001", chunk_index: i, channels });
  };
  const after = (entries, i) => chunkMultiBodyText("00000000-0000-4000-8000-000000000001", i, entries);
  if (before(slices[0], 0) !== after(slices[0], 0)) throw new Error("encode: the two encoders disagree");
  const run = (f) => {
    const t0 = process.hrtime.bigint();
    let n = 0;
    for (let rep = 0; rep < 5; rep++) slices.forEach((e, i) => (n += f(e, i).length));
    return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, n };
  };
  const a = [];
  const b = [];
  for (let r = 0; r < 9; r++) {
    b.push(run(before).seconds);
    a.push(run(after).seconds);
  }
  const points = slices.length * 5 * BATCH;
  return [
    { name: "encode_points_per_s", value: points / median(a), unit: "points/s", note: "request bodies written straight as JSON text (chunk/multi, 8 × 100 points, channels sharing their timestamps)" },
    { name: "encode_vs_stringify", value: median(b) / median(a), unit: "ratio", note: `that ÷ the former encoding (body object, Array.from per array, JSON.stringify): ${fmtRate(points / median(b))}, median of 9 rounds in turns` },
  ];
}

export async function endToEnd() {
  const total = quick ? 400_000 : 2_000_000;
  const rounds = 7;
  const warmups = 3; // undici and the streamer take seconds of work to reach steady speed
  const batches = makeBatches(total, CHANNELS, BATCH);
  const bodies = encodeBodies(batches);
  const s = await sink();
  try {
    const runs = {
      ours: () => ours(s.url, batches, total),
      oursFetch: () => ours(s.url, batches, total, "fetch"),
      influx: () => influx(s.url, batches, total, "points"),
      influxLines: () => influx(s.url, batches, total, "lines"),
      ceiling: () => ceiling(s.url, bodies),
      ceilingHttp: () => ceilingHttp(s.url, bodies),
    };
    for (let w = 0; w < warmups; w++) for (const run of Object.values(runs)) await run();
    const results = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
    for (let r = 0; r < rounds; r++) {
      for (const [name, run] of Object.entries(runs)) results[name].push(await run());
    }
    const rate = (name) => median(results[name].map((m) => total / m.seconds));
    const cpu = (name) => median(results[name].map((m) => m.cpu / (total / 1e6)));
    const ours_ = rate("ours");
    const note = `${CHANNELS} channels, ${total.toLocaleString("en-US")} points, batches of ${BATCH} readings one per event-loop turn, median of ${rounds} rounds`;
    return [
      ...encodeFigure(batches),
      { name: "e2e_points_per_s", value: ours_, unit: "points/s", note: `ours: readings in → acked by the loopback sink (TimeseriesStreamer.writable(), MemoryOutbox, concurrency ${CONCURRENCY}), ${note}` },
      { name: "e2e_vs_influx", value: ours_ / rate("influx"), unit: "ratio", note: `ours ÷ influxdb-client WriteApi (Point per reading, batchSize ${BATCH}, flushInterval 1000 ms, no gzip): ${fmtRate(rate("influx"))}` },
      { name: "e2e_vs_influx_lines", value: ours_ / rate("influxLines"), unit: "ratio", note: `ours ÷ WriteApi fed line-protocol strings made by the caller (writeRecords): ${fmtRate(rate("influxLines"))}` },
      { name: "e2e_vs_ceiling", value: ours_ / rate("ceiling"), unit: "ratio", note: `ours ÷ bare fetch, ${CONCURRENCY} in flight, posting our pre-encoded chunk/multi bodies: ${fmtRate(rate("ceiling"))}` },
      { name: "e2e_vs_ceiling_http", value: ours_ / rate("ceilingHttp"), unit: "ratio", note: "ours ÷ the same bare loop over node:http (the ceiling of ours under Node since issue 17)" },
      { name: "fetch_vs_node_http", value: rate("ceiling") / rate("ceilingHttp"), unit: "ratio", note: `context: the bare fetch loop ÷ the same loop over node:http (influxdb-client's transport under Node): ${fmtRate(rate("ceilingHttp"))}` },
      { name: "e2e_transport_vs_fetch", value: ours_ / rate("oursFetch"), unit: "ratio", note: `ours (Node: uploads over the keep-alive node:http transport) ÷ ours with uploads over fetch, as before issue 17: ${fmtRate(rate("oursFetch"))}, ${cpu("oursFetch").toFixed(3)} CPU s per million points` },
      { name: "cpu_per_mpoint_ours", value: cpu("ours"), unit: "CPU s", note: "client process CPU (user + system) per million points, ours" },
      { name: "cpu_per_mpoint_influx", value: cpu("influx"), unit: "CPU s", note: `the same, influxdb-client with Points (caller-made lines: ${cpu("influxLines").toFixed(3)}; bare fetch: ${cpu("ceiling").toFixed(3)}; bare node:http: ${cpu("ceilingHttp").toFixed(3)})` },
      { name: "cpu_vs_influx", value: cpu("ours") / cpu("influx"), unit: "ratio", note: `ours ÷ influxdb-client (Points), CPU per million points (lower is better; vs caller-made lines: ${(cpu("ours") / cpu("influxLines")).toFixed(3)})` },
    ];
  } finally {
    await s.stop();
  }
}

const fmtRate = (v) => `${Math.round(v).toLocaleString("en-US")} points/s`;

/**
 * `node --cpu-prof bench/e2e.mjs [rounds]`: ours alone against the sink, `rounds` times (default 8) after
 * two warm-ups — the profile of the client's steady state (README, Benchmarks).
 */
if (import.meta.url === `file://${process.argv[1]}`) {
  const total = quick ? 400_000 : 2_000_000;
  const rounds = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 8);
  const batches = makeBatches(total, CHANNELS, BATCH);
  const s = await sink();
  try {
    for (let w = 0; w < 2; w++) await ours(s.url, batches, total);
    const runs = [];
    for (let r = 0; r < rounds; r++) runs.push(await ours(s.url, batches, total));
    const rate = median(runs.map((m) => total / m.seconds));
    const cpu = median(runs.map((m) => m.cpu / (total / 1e6)));
    console.log(`ours: ${fmtRate(rate)}, ${cpu.toFixed(3)} CPU s per million points (median of ${rounds})`);
  } finally {
    await s.stop();
  }
}
