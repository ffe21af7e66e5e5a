/**
 * `atomscale-stream stream --device` on a real pty (socat), in Node and in Deno, against the emulator:
 * a simulated instrument process (the library's simulators, from dist/) sits on the other end, and
 * what the server holds afterwards is compared with what the instrument sent, value by value.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireDeno, skipDeno } from "../helpers/deno.js";
import { emulatorOn, http, type RunningEmulator } from "../helpers/emulator.js";
import { readBack } from "../helpers/readback.js";
import { ptyPair, skipSocat, startCli, startInstrument, tempDir, type Produced, type Runtime } from "./cli-process.js";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await emulatorOn("pglite");
});
afterAll(async () => {
  await emu?.stop();
});

const valuesOf = (produced: Produced[], channel: string) => produced.filter((p) => p.channel === channel).map((p) => p.value);

async function pipelineStatus(dataId: string): Promise<string> {
  const entry = await http(emu)("GET", `/data_entries/?data_ids=${dataId}`);
  return entry.body[0]?.pipeline_status as string;
}

describe.each(["node", "deno"] as const)("stream --device on a pty, in %s", (runtime: Runtime) => {
  const skip = skipSocat || (runtime === "deno" && skipDeno);

  it.skipIf(skip)("a `lines` instrument at 20 Hz: every line after the dropped partial first one reaches the server, exact, in order, once; Ctrl+C finalizes", async () => {
    if (runtime === "deno") requireDeno();
    const pty = await ptyPair();
    // The instrument starts mid-line (the tail of a line comes first) and cuts its output into 1–7 byte chunks.
    const instrument = startInstrument(pty.a, "lines", { RATE_HZ: "20", START_MID_LINE: "1", CHUNK_SEED: "11" });
    try {
      await instrument.ready;
      const started = Date.now() / 1000;
      const cli = startCli(
        ["stream", "--device", pty.b, "--api-key", emu.apiKey, "--endpoint", emu.url, "--outbox", await tempDir("cli-outbox-"), "--points-per-chunk", "25", "--log-interval", "0.3", "--name", `pty lines ${runtime}`],
        { runtime },
      );
      // The device is open (it is opened first; the stream starts with the first valid reading): now the instrument may talk.
      await cli.waitForStderr(/reading .*\/b \(lines, 115200 baud, 8N1\)/);
      instrument.go();
      const dataId = await cli.dataId();
      await cli.waitForCount("read", 70); // 35 lines, two channels
      cli.kill("SIGINT");
      expect(await cli.exited()).toBe(0);
      const { produced } = await instrument.stop();

      const back = await readBack(emu, dataId);
      expect(Object.keys(back.properties).sort()).toEqual(["pressure", "temperature"]);
      const temperature = back.properties.temperature!;
      const pressure = back.properties.pressure!;
      const n = temperature.values.length;
      expect(n).toBeGreaterThanOrEqual(35);
      expect(pressure.values.length).toBe(n);
      // The partial first line ("1.75 2.5e-7", never in `produced`) was dropped; from the header on,
      // every data line the instrument sent before the stop is there, in order, once.
      expect(temperature.values).toEqual(valuesOf(produced, "temperature").slice(0, n));
      expect(pressure.values).toEqual(valuesOf(produced, "pressure").slice(0, n));
      expect(temperature.units).toBe("°C");
      expect(pressure.units).toBe("mbar");
      // Stamped at receipt: increasing, within the test's run.
      const ts = temperature.unix_timestamp_ms;
      for (let i = 1; i < n; i++) expect(ts[i]!).toBeGreaterThanOrEqual(ts[i - 1]!);
      expect(ts[0]! / 1000).toBeGreaterThan(started);
      expect(ts[n - 1]! / 1000).toBeLessThan(Date.now() / 1000);
      // What the CLI says it read is what the server holds.
      const summary = /stopped \(Ctrl\+C\): (\d+) readings read, 0 bad lines skipped/.exec(cli.stderr());
      expect(summary, cli.stderr()).not.toBeNull();
      expect(Number(summary![1])).toBe(2 * n);
      expect(cli.stderr()).toContain(`stream ${dataId} finalized`);
      expect(cli.stdout()).toBe(`${dataId}\n`);
      expect(await pipelineStatus(dataId)).toBe("success");
    } finally {
      await instrument.stop().catch(() => {});
      await pty.close();
    }
  }, 60_000);

  it.skipIf(skip)("a polled pfeiffer-tpg26x gauge: one query in flight, every reading read is on the server, exact, in order; Ctrl+C finalizes", async () => {
    if (runtime === "deno") requireDeno();
    const pty = await ptyPair();
    const instrument = startInstrument(pty.a, "pfeiffer-tpg26x");
    try {
      await instrument.ready;
      const cli = startCli(
        ["stream", "--device", pty.b, "--driver", "pfeiffer-tpg26x", "--channels", "chamber_pressure", "--api-key", emu.apiKey, "--endpoint", emu.url, "--outbox", await tempDir("cli-outbox-"), "--points-per-chunk", "10", "--log-interval", "0.3"],
        { runtime },
      );
      await cli.waitForStderr(/reading .*\/b \(pfeiffer-tpg26x, 9600 baud, 8N1\)/);
      const dataId = await cli.dataId();
      await cli.waitForCount("read", 25);
      cli.kill("SIGINT");
      expect(await cli.exited()).toBe(0);
      const { produced, overlaps } = await instrument.stop();

      const back = await readBack(emu, dataId);
      expect(Object.keys(back.properties)).toEqual(["chamber_pressure"]);
      const p = back.properties.chamber_pressure!;
      const n = p.values.length;
      expect(n).toBeGreaterThanOrEqual(25);
      // At most the reply in flight when the CLI stopped was sent and not read.
      expect(n).toBeGreaterThanOrEqual(produced.length - 1);
      expect(p.values).toEqual(valuesOf(produced, "pressure").slice(0, n));
      expect(p.units).toBe("mbar");
      expect(overlaps).toBe(0);
      const summary = /stopped \(Ctrl\+C\): (\d+) readings read, 0 bad lines skipped/.exec(cli.stderr());
      expect(Number(summary?.[1]), cli.stderr()).toBe(n);
      expect(await pipelineStatus(dataId)).toBe("success");
    } finally {
      await instrument.stop().catch(() => {});
      await pty.close();
    }
  }, 60_000);
});
