/**
 * What an uploading process keeps resident (issue 11, memory over an outage): a Node process that only
 * streams into a FileOutbox and uploads through the node:http transport never loads Node's fetch (undici,
 * about 9 MB of RSS) — ky, which reads `globalThis.Request` when imported, is imported only for the
 * client's other requests. The uploaded readings are read back point by point.
 */
import { execFile } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { emulatorOn, http, ROOT, type RunningEmulator } from "../helpers/emulator.js";
import { readBack } from "../helpers/readback.js";

const SCRIPT = join(ROOT, "test/fixtures/upload-only-process.mjs");
const READINGS = 1000;
let emu: RunningEmulator;
beforeAll(async () => {
  emu = await emulatorOn("pglite");
});
afterAll(async () => {
  await emu?.stop();
});

it("a process that only uploads never loads Node's fetch; every reading is on the server", async () => {
  const dataId = (await http(emu)("POST", "/metrology/stream/initialize", { points_per_chunk: 100, stream_name: "upload only" })).body.data_id as string;
  const dir = await mkdtemp(join(tmpdir(), "upload-only-"));
  const env = { ...process.env, ENDPOINT: emu.url, API_KEY: emu.apiKey, DATA_ID: dataId, DIR: dir, READINGS: String(READINGS) };
  const { stdout } = await promisify(execFile)(process.execPath, [SCRIPT], { cwd: ROOT, env, timeout: 120_000 });
  const result = JSON.parse(stdout.trim().split("\n").at(-1)!) as { acked: number; pending: number; undici: string[] };
  expect(result).toMatchObject({ acked: 2 * READINGS, pending: 0 });
  expect(result.undici).toEqual([]);
  const back = await readBack(emu, dataId);
  ["T", "P"].forEach((channel, c) => expect(back.properties[channel]?.values, channel).toEqual(Array.from({ length: READINGS }, (_, k) => c * 10_000 + k)));
}, 150_000);
