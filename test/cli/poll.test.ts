/** `atomscale-stream poll <dataId>` against the emulator: each point printed once, JSON lines, --once, Ctrl+C. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorOn, http, type RunningEmulator } from "../helpers/emulator.js";
import { skipDeno } from "../helpers/deno.js";
import { runCli, startCli } from "./cli-process.js";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await emulatorOn("pglite");
});
afterAll(async () => {
  await emu?.stop();
});

const T0 = 1_764_000_000;
const PPC = 4;

async function newStream(): Promise<string> {
  const res = await http(emu)("POST", "/metrology/stream/initialize", { points_per_chunk: PPC, stream_name: "poll test" });
  expect(res.status).toBe(200);
  return res.body.data_id as string;
}

/** Chunk k of two channels: points i = k*PPC … k*PPC+n-1, at T0 + i/4 s. */
async function sendChunk(dataId: string, k: number, n = PPC) {
  const idx = Array.from({ length: n }, (_, j) => k * PPC + j);
  const res = await http(emu)("POST", "/metrology/stream/chunk/multi", {
    data_id: dataId,
    chunk_index: k,
    channels: {
      temperature: { timestamps: idx.map((i) => T0 + i / 4), values: idx.map((i) => 600 + i / 2), units: "C" },
      pressure: { timestamps: idx.map((i) => T0 + i / 4), values: idx.map((i) => 1e-7 * (i + 1)), units: "mbar" },
    },
  });
  expect(res.status).toBe(200);
}

interface Point {
  channel: string;
  t: number;
  value: number;
  units: string | null;
}

const expected = (from: number, to: number): Point[] =>
  Array.from({ length: to - from }, (_, j) => from + j).flatMap((i) => [
    { channel: "pressure", t: T0 + i / 4, value: 1e-7 * (i + 1), units: "mbar" },
    { channel: "temperature", t: T0 + i / 4, value: 600 + i / 2, units: "C" },
  ]);

const parseLines = (text: string) => text.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Point);

describe("atomscale-stream poll", () => {
  it("--once --json: one JSON object per point, {channel, t, value, units}, then exits 0", async () => {
    const dataId = await newStream();
    await sendChunk(dataId, 0);
    await sendChunk(dataId, 1, 2); // a partial chunk
    const res = await runCli(["poll", dataId, "--once", "--json", "--api-key", emu.apiKey, "--endpoint", emu.url]);
    expect(res.code, res.stderr).toBe(0);
    expect(parseLines(res.stdout)).toEqual(expected(0, 6));
  });

  it("--once prints a table (ISO time, channel, value, units); --last-n limits each channel; key and endpoint from the environment", async () => {
    const dataId = await newStream();
    await sendChunk(dataId, 0);
    const env = { AS_API_KEY: emu.apiKey, AS_API_ENDPOINT: emu.url };
    const table = await runCli(["poll", dataId, "--once"], { env });
    expect(table.code, table.stderr).toBe(0);
    const rows = table.stdout.trimEnd().split("\n");
    expect(rows[0]).toMatch(/^TIME\s+CHANNEL\s+VALUE\s+UNITS$/);
    expect(rows).toHaveLength(1 + 8);
    expect(rows[1]).toMatch(/^2025-11-24T16:00:00\.000Z\s+pressure\s+1e-7\s+mbar$/);
    expect(rows[2]).toMatch(/^2025-11-24T16:00:00\.000Z\s+temperature\s+600\s+C$/);
    expect(rows[8]).toMatch(/^2025-11-24T16:00:00\.750Z\s+temperature\s+601\.5\s+C$/);
    const last = await runCli(["poll", dataId, "--once", "--json", "--last-n", "2"], { env });
    expect(parseLines(last.stdout)).toEqual(expected(2, 4));
  });

  it("polling: prints each new point once as it arrives (a partial chunk replaced by the full one is not repeated); Ctrl+C exits 0", async () => {
    const dataId = await newStream();
    await sendChunk(dataId, 0);
    const cli = startCli(["poll", dataId, "--json", "--interval", "0.2", "--api-key", emu.apiKey, "--endpoint", emu.url]);
    const count = () => cli.stdout().split("\n").filter(Boolean).length;
    const until = async (n: number) => {
      for (let i = 0; i < 100 && count() < n; i++) await new Promise((r) => setTimeout(r, 50));
      expect(count(), cli.stderr()).toBe(n);
    };
    await until(8);
    await sendChunk(dataId, 1, 2); // partial
    await until(12);
    await sendChunk(dataId, 1); // the full chunk replaces it: 2 new points per channel
    await sendChunk(dataId, 2);
    await until(24);
    await new Promise((r) => setTimeout(r, 700)); // a few more polls with nothing new
    cli.kill("SIGINT");
    expect(await cli.exited()).toBe(0);
    expect(parseLines(cli.stdout()).sort((a, b) => a.t - b.t || a.channel.localeCompare(b.channel))).toEqual(expected(0, 12));
  });

  it("distinct points that share a timestamp are all printed, once each (also a reading sent twice, and a later chunk at an earlier time)", async () => {
    const dataId = await newStream();
    const send = async (k: number, timestamps: number[], values: number[]) => {
      const res = await http(emu)("POST", "/metrology/stream/chunk/multi", { data_id: dataId, chunk_index: k, channels: { temperature: { timestamps, values, units: "C" } } });
      expect(res.status).toBe(200);
    };
    // Two readings at T0 with different values; the same reading twice at T0 + 1.
    await send(0, [T0, T0, T0 + 1, T0 + 1], [1, 2, 3, 3]);
    const at = (t: number, value: number) => ({ channel: "temperature", t, value, units: "C" });
    for (const runtime of skipDeno ? (["node"] as const) : (["node", "deno"] as const)) {
      const once = await runCli(["poll", dataId, "--once", "--json", "--api-key", emu.apiKey, "--endpoint", emu.url], { runtime });
      expect(once.code, once.stderr).toBe(0);
      expect(parseLines(once.stdout), runtime).toEqual([at(T0, 1), at(T0, 2), at(T0 + 1, 3), at(T0 + 1, 3)]);
    }

    const cli = startCli(["poll", dataId, "--json", "--interval", "0.2", "--api-key", emu.apiKey, "--endpoint", emu.url]);
    const count = () => cli.stdout().split("\n").filter(Boolean).length;
    const until = async (n: number) => {
      for (let i = 0; i < 200 && count() < n; i++) await new Promise((r) => setTimeout(r, 50));
      expect(count(), cli.stderr()).toBe(n);
    };
    await until(4);
    await send(1, [T0 + 1, T0 + 2], [4, 5]); // a new point at a time already printed
    await until(6);
    await new Promise((r) => setTimeout(r, 700)); // a few more polls with nothing new
    cli.kill("SIGINT");
    expect(await cli.exited()).toBe(0);
    expect(parseLines(cli.stdout())).toEqual([at(T0, 1), at(T0, 2), at(T0 + 1, 3), at(T0 + 1, 3), at(T0 + 1, 4), at(T0 + 2, 5)]);
  });

  it("an unknown stream is an error (exit 1); a missing data id is a usage error (exit 2)", async () => {
    const unknown = await runCli(["poll", "00000000-0000-4000-8000-000000000000", "--once", "--api-key", emu.apiKey, "--endpoint", emu.url]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no stream 00000000-0000-4000-8000-000000000000");
    const none = await runCli(["poll", "--api-key", emu.apiKey]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("which stream? Give its data id");
  });
});
