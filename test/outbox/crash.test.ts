/**
 * A producer with a FileOutbox is killed with SIGKILL during an outage; a new process on the same
 * directory completes the upload, and the server read back is exact — in Node and in Deno.
 */
import { spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DENO, skipDeno } from "../helpers/deno.js";
import { emulatorOn, http, ROOT, type RunningEmulator } from "../helpers/emulator.js";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";
import { readBack } from "../helpers/readback.js";

const SCRIPT = join(ROOT, "test/fixtures/outbox-process.mjs");
const POINTS = 2000;
let emu: RunningEmulator;
let proxy: FaultProxy;
beforeAll(async () => {
  emu = await emulatorOn("pglite");
  proxy = await startFaultProxy({ target: emu.url });
});
afterAll(async () => {
  await proxy?.close();
  await emu?.stop();
});

interface Proc {
  lines: Array<Record<string, unknown>>;
  waitFor(pred: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  kill(): Promise<void>;
  exit: Promise<number | null>;
  stderr: () => string;
}

function start(runtime: "node" | "deno", env: Record<string, string>): Proc {
  const [cmd, args] = runtime === "node" ? [process.execPath, [SCRIPT]] : [DENO, ["run", "-A", "--node-modules-dir=manual", SCRIPT]];
  const child = spawn(cmd, args as string[], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const lines: Array<Record<string, unknown>> = [];
  let err = "";
  let buf = "";
  const listeners = new Set<() => void>();
  child.stdout.setEncoding("utf8").on("data", (s: string) => {
    buf += s;
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        lines.push(JSON.parse(line));
      } catch {
        err += `${line}\n`;
      }
    }
    for (const l of listeners) l();
  });
  child.stderr.setEncoding("utf8").on("data", (s: string) => (err += s));
  const exit = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return {
    lines,
    exit,
    stderr: () => err,
    waitFor(pred, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out; lines: ${JSON.stringify(lines.slice(-3))}\n${err}`)), timeoutMs);
        const check = () => {
          const hit = lines.find(pred);
          if (hit) {
            clearTimeout(timer);
            listeners.delete(check);
            resolve(hit);
          }
        };
        listeners.add(check);
        void exit.then((code) => {
          if (!lines.find(pred)) {
            clearTimeout(timer);
            reject(new Error(`exited with ${code}; lines: ${JSON.stringify(lines.slice(-3))}\n${err}`));
          }
        });
        check();
      });
    },
    async kill() {
      child.kill("SIGKILL");
      await exit;
    },
  };
}

async function newStream(name: string) {
  const res = await http(emu)("POST", "/metrology/stream/initialize", { points_per_chunk: 100, stream_name: name });
  return res.body.data_id as string;
}

const expected = (c: number, n: number) => Array.from({ length: n }, (_, k) => c * 10_000 + k);

describe.each(["node", "deno"] as const)("FileOutbox across a SIGKILL in %s", (runtime) => {
  it.skipIf(runtime === "deno" && skipDeno)("a closing stream left by a killed producer is completed and finalized by the next process without being asked", async () => {
    const dataId = await newStream(`crash closing ${runtime}`);
    const dir = await mkdtemp(join(tmpdir(), "outbox-crash-"));
    const env = { ENDPOINT: proxy.url, API_KEY: emu.apiKey, DATA_ID: dataId, DIR: dir, POINTS: String(POINTS) };
    proxy.setOutage(true);
    const producer = start(runtime, { ...env, MODE: "produce", CLOSE: "1" });
    const closed = await producer.waitFor((l) => "closed" in l);
    expect(closed.closed).toBe("closing"); // finalize deferred: the server is unreachable
    await producer.kill();
    const before = await readBack(emu, dataId);
    expect(Object.keys(before.properties)).toEqual([]); // nothing got through the outage

    proxy.setOutage(false);
    const recovery = start(runtime, { ...env, MODE: "recover" });
    const done = await recovery.waitFor((l) => "done" in l);
    expect(await recovery.exit).toBe(0);
    expect(done).toMatchObject({ phase: "finalized", stats: { pendingSlices: 0 } });
    const back = await readBack(emu, dataId);
    ["T", "P", "R"].forEach((ch, c) => expect(back.properties[ch]?.values, ch).toEqual(expected(c, POINTS)));
    const entry = await http(emu)("GET", `/data_entries/?data_ids=${dataId}`);
    expect(entry.body[0].pipeline_status).toBe("success");
  }, 120_000);

  it.skipIf(runtime === "deno" && skipDeno)("killed at an arbitrary instant while writing: the next process uploads an exact prefix, at least all that was accepted", async () => {
    const dataId = await newStream(`crash mid-write ${runtime}`);
    const dir = await mkdtemp(join(tmpdir(), "outbox-crash-"));
    const env = { ENDPOINT: proxy.url, API_KEY: emu.apiKey, DATA_ID: dataId, DIR: dir, POINTS: "100000" };
    proxy.setOutage(true);
    const producer = start(runtime, { ...env, MODE: "produce" });
    await producer.waitFor((l) => typeof l.written === "number" && (l.written as number) >= 1234);
    await producer.kill();
    const accepted = Math.max(...producer.lines.map((l) => (typeof l.accepted === "number" ? l.accepted : 0)));
    expect(accepted).toBeGreaterThan(0);

    proxy.setOutage(false);
    const recovery = start(runtime, { ...env, MODE: "recover", FINALIZE: "1" });
    const done = await recovery.waitFor((l) => "done" in l);
    expect(done).toMatchObject({ phase: "finalized" });
    const back = await readBack(emu, dataId);
    let total = 0;
    ["T", "P", "R"].forEach((ch, c) => {
      const values = back.properties[ch]?.values ?? [];
      total += values.length;
      expect(values, `${ch} is an exact prefix`).toEqual(expected(c, values.length));
    });
    expect(total).toBeGreaterThanOrEqual(accepted);
  }, 120_000);
});
