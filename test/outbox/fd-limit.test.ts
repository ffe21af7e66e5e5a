/**
 * Issue 10, failure 3 with a real file table: a process under `ulimit -n 256` whose descriptors are all
 * in use when the server comes back. Reading pending slice files fails with a real EMFILE: transient,
 * retried — none is taken for sent, none set aside — and once descriptors are free everything arrives.
 */
import { spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorOn, http, ROOT, type RunningEmulator } from "../helpers/emulator.js";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";
import { readBack } from "../helpers/readback.js";

const SCRIPT = join(ROOT, "test/fixtures/fd-starved-process.mjs");
const CHUNKS = 20;
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

describe("a FileOutbox out of file descriptors", () => {
  it.skipIf(process.platform === "win32")("reads that meet EMFILE are retried until descriptors are free: every point arrives once", async () => {
    const dataId = (await http(emu)("POST", "/metrology/stream/initialize", { points_per_chunk: 100 })).body.data_id as string;
    const dir = await mkdtemp(join(tmpdir(), "fd-limit-"));
    proxy.setOutage(true);
    const child = spawn("sh", ["-c", `ulimit -n 256 && exec "${process.execPath}" "${SCRIPT}"`], {
      cwd: ROOT,
      env: { ...process.env, ENDPOINT: proxy.url, API_KEY: emu.apiKey, DATA_ID: dataId, DIR: dir, CHUNKS: String(CHUNKS), HOLD_MS: "30000" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stderr.setEncoding("utf8").on("data", (s: string) => (err += s));
    const starved = new Promise<void>((resolve) =>
      child.stdout.setEncoding("utf8").on("data", (s: string) => {
        out += s;
        if (out.includes('"starved"')) resolve();
      }),
    );
    const exit = new Promise<number | null>((r) => child.once("exit", r));
    await Promise.race([starved, exit]);
    proxy.setOutage(false); // the server is back while the file table is full
    expect(await exit, `${out}\n${err}`).toBe(0);
    const lines = out.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    const done = lines.find((l) => "flushed" in l)!;
    expect(done).toMatchObject({ pending: 0, corrupt: 0 });
    const readErrors = done.readErrors as Array<{ transient: boolean; cause: string }>;
    expect(readErrors.length, "the uploader met EMFILE while reading slices").toBeGreaterThan(0);
    expect(readErrors.every((e) => e.transient && e.cause === "EMFILE")).toBe(true);
    const back = await readBack(emu, dataId);
    ["T", "P", "R"].forEach((name, k) => expect(back.properties[name]?.values, name).toEqual(Array.from({ length: CHUNKS * 100 }, (_, i) => k * 100_000 + i)));
  }, 120_000);
});
