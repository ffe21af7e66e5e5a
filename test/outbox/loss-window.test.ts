/**
 * The loss window of a FileOutbox put (issue 11): a write that completes a chunk puts its slice and the
 * stream's state, which no longer holds the chunk's earlier readings as open. A SIGKILL right after the
 * state's rename must find the slice already there — otherwise readings whose write() resolved are in
 * neither file. A real child process (Node, Deno) is killed at that instant (its file functions hold the
 * slices' renames back, so the state would land first if the outbox let it); a new process on the same
 * directory recovers and finalizes; the server is read back point by point.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DENO, requireDeno, skipDeno } from "../helpers/deno.js";
import { emulatorOn, http, ROOT, type RunningEmulator } from "../helpers/emulator.js";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";
import { readBack } from "../helpers/readback.js";

const SCRIPT = join(ROOT, "test/fixtures/loss-window-process.mjs");
const T0 = 1_764_000_000;
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

type Line = Record<string, unknown>;
async function run(runtime: "node" | "deno", env: Record<string, string>): Promise<{ lines: Line[]; code: number | null; signal: string | null; stderr: string }> {
  const [cmd, args] = runtime === "node" ? [process.execPath, [SCRIPT]] : [DENO, ["run", "-A", "--node-modules-dir=manual", SCRIPT]];
  const child = spawn(cmd, args as string[], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
  const [code, signal] = await new Promise<[number | null, string | null]>((r) => child.once("exit", (c, s) => r([c, s])));
  const lines = out.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Line);
  return { lines, code, signal, stderr };
}

describe.each(["node", "deno"] as const)("a kill right after a put's state rename (%s)", (runtime) => {
  it.skipIf(runtime === "deno" && skipDeno).each([1, 3])(
    "at the put completing chunk %i: every reading whose write() resolved reaches the server, in place",
    async (killAtChunk) => {
      if (runtime === "deno") requireDeno();
      const dataId = (await http(emu)("POST", "/metrology/stream/initialize", { points_per_chunk: 100, stream_name: `loss window ${runtime} ${killAtChunk}` })).body.data_id as string;
      const dir = await mkdtemp(join(tmpdir(), "loss-window-"));
      const env = { ENDPOINT: proxy.url, API_KEY: emu.apiKey, DATA_ID: dataId, DIR: dir };
      proxy.setOutage(true);
      const producer = await run(runtime, { ...env, MODE: "produce", KILL_AT_CHUNK: String(killAtChunk) });
      proxy.setOutage(false);
      const killing = producer.lines.find((l) => "killing" in l);
      expect(killing, producer.stderr).toBeDefined();
      expect(producer.signal ?? producer.code).not.toBe(0); // killed, not exited
      const resolved = Math.max(0, ...producer.lines.map((l) => (typeof l.resolved === "number" ? l.resolved : 0)));
      // The put of the write that completed chunk `killAtChunk` was under way: every earlier write resolved.
      expect(resolved).toBe((Math.ceil((killAtChunk * 100) / 30) - 1) * 30);
      const slicesOnDisk = (await readdir(join(dir, "slices"))).filter((n) => n.endsWith(".json")).length;

      const recovery = await run(runtime, { ...env, MODE: "recover" });
      expect(recovery.code, recovery.stderr).toBe(0);

      const back = await readBack(emu, dataId);
      ["T", "P"].forEach((channel, c) => {
        const got = back.properties[channel];
        expect(got, channel).toBeDefined();
        // At least every resolved reading, and what the server holds is exactly the readings in order.
        expect(got!.values.length, `${channel}: points on the server`).toBeGreaterThanOrEqual(resolved);
        const n = got!.values.length;
        expect(got!.values, `${channel}: values`).toEqual(Array.from({ length: n }, (_, k) => c * 10_000 + k));
        expect(got!.unix_timestamp_ms, `${channel}: timestamps`).toEqual(Array.from({ length: n }, (_, k) => Math.round((T0 + k * 0.01) * 1000)));
      });
      // The read-back before finalize found the server's copy matching the stream's ledger.
      expect(recovery.lines.at(-1)).toMatchObject({ done: true, finalize: "finalized" });
      // How: the put's slices were renamed (and their directory synced) before the state that drops their readings.
      expect(killing).toMatchObject({ slicesRenamed: killAtChunk * 2 });
      expect(slicesOnDisk).toBe(killAtChunk * 2);
    },
    180_000,
  );
});
