/**
 * Issue 10, failure 8: a SIGKILL between the slice file's rename and the stream state file's rename.
 * The slice of that put is on disk, the state still names the chunk before it. A recovering process
 * sends that slice (and is done with it); a third process continues the stream. Its first chunk must
 * land after the recovered one — never on top of it — in Node and in Deno. Read back point by point.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DENO, requireDeno, skipDeno } from "../helpers/deno.js";
import { emulatorOn, http, ROOT, type RunningEmulator } from "../helpers/emulator.js";
import { readBack } from "../helpers/readback.js";

const SCRIPT = join(ROOT, "test/fixtures/torn-put-process.mjs");
const KILL_AT_PUT = 4; // chunks 0–2 delivered, chunk 3's slice renamed, its state not
let emu: RunningEmulator;
beforeAll(async () => {
  emu = await emulatorOn("pglite");
});
afterAll(async () => {
  await emu?.stop();
});

type Line = Record<string, unknown>;
async function run(runtime: "node" | "deno", env: Record<string, string>): Promise<{ lines: Line[]; code: number | null; signal: string | null; stderr: string }> {
  const [cmd, args] = runtime === "node" ? [process.execPath, [SCRIPT]] : [DENO, ["run", "-A", "--node-modules-dir=manual", SCRIPT]];
  const child = spawn(cmd, args as string[], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
  const [code, signal] = await new Promise<[number | null, string | null]>((r) => child.once("exit", (c, s) => r([c, s])));
  const lines = out.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Line);
  return { lines, code, signal, stderr };
}

describe.each(["node", "deno"] as const)("a kill between the two renames of a put (%s)", (runtime) => {
  it.skipIf(runtime === "deno" && skipDeno)("the next chunk index never goes backwards: a later process never reuses the index of a recovered slice", async () => {
    if (runtime === "deno") requireDeno();
    const dataId = (await http(emu)("POST", "/metrology/stream/initialize", { points_per_chunk: 100, stream_name: `torn put ${runtime}` })).body.data_id as string;
    const dir = await mkdtemp(join(tmpdir(), "torn-put-"));
    const env = { ENDPOINT: emu.url, API_KEY: emu.apiKey, DATA_ID: dataId, DIR: dir };

    const producer = await run(runtime, { ...env, MODE: "produce", KILL_AT_PUT: String(KILL_AT_PUT) });
    expect(producer.lines.find((l) => "killing" in l), producer.stderr).toBeDefined();
    expect(producer.signal ?? producer.code).not.toBe(0); // killed, not exited
    expect(producer.lines.filter((l) => "delivered" in l).map((l) => l.delivered)).toEqual([0, 1, 2]);
    expect(await readdir(join(dir, "slices"))).toHaveLength(1); // chunk 3's slice, renamed before the kill

    const recovery = await run(runtime, { ...env, MODE: "recover" });
    expect(recovery.code, recovery.stderr).toBe(0);
    expect(recovery.lines[0]).toMatchObject({ pending: [3], next: { T: 4 } });
    expect(recovery.lines[1]).toMatchObject({ flushed: true, pending: 0 });
    expect(await readdir(join(dir, "slices"))).toHaveLength(0); // sent and acknowledged: nothing left to repair from

    const continuation = await run(runtime, { ...env, MODE: "continue" });
    expect(continuation.code, continuation.stderr).toBe(0);
    expect(continuation.lines[0]).toMatchObject({ next: { T: 4 } });
    expect(continuation.lines.at(-1)).toMatchObject({ done: true, state: "finalized" });

    const back = await readBack(emu, dataId);
    expect(back.properties.T?.values).toEqual([...Array.from({ length: 400 }, (_, i) => i), ...Array.from({ length: 100 }, (_, i) => 1e6 + i)]);
  }, 180_000);
});
