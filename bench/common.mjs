/** Shared pieces of the benchmarks: the data, timing, and the processes they talk to. */
import { spawn } from "node:child_process";
import { readdir, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const quick = process.argv.includes("--quick");
export const T0 = 1_764_000_000;
export const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** Batches of readings from `channels` channels, `perBatch` readings each, as an instrument parser makes them. */
export function makeBatches(total, channels, perBatch) {
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

export async function time(fn) {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Wall time and this process's CPU time (user + system) of `fn`, in seconds. */
export async function timeAndCpu(fn) {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await fn();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  return { seconds, cpu: (used.user + used.system) / 1e6 };
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The value at quantile q (0–1) of xs, nearest rank. */
export function quantile(xs, q) {
  const sorted = Float64Array.from(xs).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export const nextTurn = () => new Promise((r) => setImmediate(r));

/**
 * Run a node script as its own process and wait for a line matching each of `patterns` on its stdout;
 * resolves with the first capture group of each, the child, and `stop()`.
 */
export async function spawnProcess(args, patterns, env = process.env) {
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"], env });
  let out = "";
  const found = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(" ")} did not start within 60 s: ${out}`)), 60_000);
    child.stdout.setEncoding("utf8").on("data", (s) => {
      out += s;
      const m = patterns.map((p) => p.exec(out)?.[1]);
      if (m.every((x) => x !== undefined)) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(" ")} exited with ${code}: ${out}`));
    });
  });
  child.stdout.resume();
  return {
    found,
    child,
    stop: () =>
      new Promise((r) => {
        if (child.exitCode !== null || child.signalCode !== null) return r();
        child.once("exit", r);
        child.kill("SIGTERM");
      }),
  };
}

/** Run `atomscale-stream serve` as its own process; resolves with its URL and key. */
export async function serve(args, env) {
  const p = await spawnProcess([join(ROOT, "dist/cli/bin.js"), "serve", ...args], [/listening on (\S+)/, /API key: (\S+)/], env);
  return { url: p.found[0], apiKey: p.found[1], pid: p.child.pid, stop: p.stop };
}

/** The loopback sink (bench/sink.mjs) as its own process. */
export async function sink() {
  const p = await spawnProcess([join(ROOT, "bench/sink.mjs")], [/sink listening on (\S+)/]);
  return {
    url: p.found[0],
    stats: async () => (await fetch(`${p.found[0]}/__stats`)).json(),
    stop: p.stop,
  };
}

export async function freePort() {
  const server = createServer();
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

export async function dirBytes(dir) {
  let n = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) n += (await stat(join(entry.parentPath ?? entry.path, entry.name))).size;
  }
  return n;
}
