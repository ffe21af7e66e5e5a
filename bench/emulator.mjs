/**
 * How many slices a second the emulator stores: chunk/multi requests of 8 channels × 100 points,
 * pre-encoded, 8 in flight, against `atomscale-stream serve` in its own process — on PGlite (in memory)
 * and, when DATABASE_URL is set, on a fresh database of that PostgreSQL server. The two backends run
 * side by side and take turns, median of rounds.
 *
 * The load comes over keep-alive `node:http` (8 sockets), not `fetch`: on two shared cores the client
 * competes with the emulator it measures, and undici's `fetch` costs about five times the CPU per
 * request. `DIST=/path/to/dist` measures another build's emulator (e.g. the one before a change).
 */
import { readFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import postgres from "postgres";
import { median, quick, ROOT, spawnProcess, time } from "./common.mjs";

const CHANNELS = 8;
const POINTS = 100;
const IN_FLIGHT = 8;
const WARMUP_REQUESTS = 1000;

async function freshPostgresDatabase(base) {
  const name = `bench_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const a = postgres(base, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

function bodies(dataId, from, count) {
  const encoder = new TextEncoder();
  const out = [];
  for (let chunkIndex = from; chunkIndex < from + count; chunkIndex++) {
    const channels = {};
    for (let c = 0; c < CHANNELS; c++) {
      const timestamps = [];
      const values = [];
      for (let i = 0; i < POINTS; i++) {
        timestamps.push(1_764_000_000 + (chunkIndex * POINTS + i) * 0.001);
        values.push(c * 1000 + chunkIndex + i / POINTS);
      }
      channels[`ch${c}`] = { timestamps, values, units: "C" };
    }
    out.push(encoder.encode(JSON.stringify({ data_id: dataId, chunk_index: chunkIndex, channels })));
  }
  return out;
}

/** CPU time (user + system) a process has used, in seconds (Linux /proc; null elsewhere). */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}

/**
 * One emulator, one stream; `round(count)` posts `count` more chunks and resolves with slices/s and
 * with slices per CPU-second of the emulator process (what it would store with a core to itself:
 * on a busy machine the wall-clock rate measures the machine as much as the emulator).
 */
async function target(args, env) {
  const bin = join(process.env.DIST ?? join(ROOT, "dist"), "cli/bin.js");
  const p = await spawnProcess([bin, "serve", ...args], [/listening on (\S+)/, /API key: (\S+)/], env);
  const emu = { url: p.found[0], apiKey: p.found[1], pid: p.child.pid, stop: p.stop };
  const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const post = (path, body) =>
    new Promise((resolve, reject) => {
      const req = http.request(`${emu.url}${path}`, { method: "POST", agent, headers: { "X-API-KEY": emu.apiKey, "Content-Type": "application/json", "Content-Length": body.length } }, (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`emulator: HTTP ${res.statusCode}: ${Buffer.concat(chunks)}`))));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(body);
    });
  const headers = { "X-API-KEY": emu.apiKey, "Content-Type": "application/json" };
  const init = await fetch(`${emu.url}/tool-state/stream/initialize`, { method: "POST", headers, body: JSON.stringify({ points_per_chunk: POINTS, stream_name: "bench emulator" }) });
  const { data_id: dataId } = await init.json();
  let nextChunk = 0;
  return {
    stop: async () => {
      agent.destroy();
      await emu.stop();
    },
    async round(count) {
      const todo = bodies(dataId, nextChunk, count);
      nextChunk += count;
      let next = 0;
      const cpu0 = cpuSeconds(emu.pid);
      const seconds = await time(() =>
        Promise.all(
          Array.from({ length: IN_FLIGHT }, async () => {
            while (next < todo.length) {
              await post("/tool-state/stream/chunk/multi", todo[next++]);
            }
          }),
        ),
      );
      const cpu1 = cpuSeconds(emu.pid);
      return { rate: (count * CHANNELS) / seconds, perCpu: cpu0 === null || cpu1 === null || cpu1 <= cpu0 ? null : (count * CHANNELS) / (cpu1 - cpu0) };
    },
  };
}

export async function emulatorThroughput() {
  const count = quick ? 200 : 400; // requests per round (× 8 slices)
  const rounds = quick ? 3 : 5;
  const { DATABASE_URL, ...envWithoutDb } = process.env;
  const targets = { pglite: await target(["--memory", "--port", "0"], envWithoutDb) };
  let db;
  try {
    if (DATABASE_URL) {
      db = await freshPostgresDatabase(DATABASE_URL);
      targets.postgres = await target(["--database-url", db.url, "--port", "0"], envWithoutDb);
    }
    // Warm-up: the JIT and the WebAssembly tier-up (PGlite's hot functions recompiled in the background)
    // take a few thousand requests; before that a round measures the compilers as much as the emulator.
    for (const t of Object.values(targets)) await t.round(WARMUP_REQUESTS);
    const rates = Object.fromEntries(Object.keys(targets).map((k) => [k, []]));
    const perCpu = Object.fromEntries(Object.keys(targets).map((k) => [k, []]));
    for (let r = 0; r < rounds; r++) {
      for (const [name, t] of Object.entries(targets)) {
        const { rate, perCpu: c } = await t.round(count);
        rates[name].push(rate);
        if (c !== null) perCpu[name].push(c);
      }
    }
    const note = `chunk/multi of ${CHANNELS} channels × ${POINTS} points, ${IN_FLIGHT} in flight over keep-alive node:http, pre-encoded; emulator in its own process; median of ${rounds} rounds of ${count} requests`;
    const figures = [{ name: "emulator_slices_per_s_pglite", value: median(rates.pglite), unit: "slices/s", note: `PGlite in memory; ${note}` }];
    if (rates.postgres) figures.push({ name: "emulator_slices_per_s_postgres", value: median(rates.postgres), unit: "slices/s", note: `PostgreSQL (a fresh database on DATABASE_URL's server); ${note}` });
    else figures.push({ name: "emulator_slices_per_s_postgres", value: null, unit: "slices/s", note: "not measured: DATABASE_URL is not set" });
    for (const name of ["pglite", "postgres"]) {
      const xs = perCpu[name] ?? [];
      figures.push({
        name: `emulator_slices_per_cpu_s_${name}`,
        value: xs.length > 0 ? median(xs) : null,
        unit: "slices/CPU-s",
        note: xs.length > 0 ? `slices stored per CPU-second of the emulator process (${name === "postgres" ? "the PostgreSQL server's own CPU not counted" : "PGlite runs inside it"}); the same rounds` : "not measured",
      });
    }
    return figures;
  } finally {
    for (const t of Object.values(targets)) await t.stop();
    await db?.drop();
  }
}
