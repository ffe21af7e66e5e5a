/**
 * The `lines` driver through the CLI as instruments really print (issues 10 and 13), in Node and Deno,
 * against the emulator: the Arduino serial plotter's label forms name the columns, the run says once
 * that the instrument's names replace --channels, and an over-long label is a reported bad line while
 * the good lines around it all reach the server.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireDeno, skipDeno } from "../helpers/deno.js";
import { emulatorOn, http, type RunningEmulator } from "../helpers/emulator.js";
import { readBack } from "../helpers/readback.js";
import { ptyPair, runCli, skipSocat, startCli, startInstrument, tempDir, type Produced, type Runtime } from "./cli-process.js";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await emulatorOn("pglite");
});
afterAll(async () => {
  await emu?.stop();
});

describe.each(["node", "deno"] as const)("stdin with the plotter's label forms, in %s", (runtime: Runtime) => {
  it.skipIf(runtime === "deno" && skipDeno)("names from the first line and from label-only lines; an over-long label is skipped and reported; every good line arrives", async () => {
    if (runtime === "deno") requireDeno();
    const long = "x".repeat(300);
    const input = [
      "temperature,pressure",
      "600.5 2e-7",
      "601 3e-7",
      `${long}:5`,
      "temperature:\tpressure:",
      "602 4e-7",
      "603,5e-7",
      "",
    ].join("\r\n");
    const res = await runCli(
      ["stream", "--stdin", "--channels", "a:K,b", "--api-key", emu.apiKey, "--endpoint", emu.url, "--outbox", await tempDir("cli-outbox-"), "--points-per-chunk", "3"],
      { runtime, input },
    );
    expect(res.code, res.stderr).toBe(0);
    const dataId = res.stdout.trim();
    const said = res.stderr.match(/The instrument names its columns temperature, pressure; these names are used instead of the configured a, b\./g) ?? [];
    expect(said, res.stderr).toHaveLength(1);
    expect(res.stderr).toMatch(/bad line: Skipped a line: the channel name must be 1–255 characters long, not 300/);
    expect(res.stderr).toMatch(/stopped \(end of input\): 8 readings read, 1 bad line skipped/);

    const back = await readBack(emu, dataId);
    expect(Object.keys(back.properties).sort()).toEqual(["pressure", "temperature"]);
    expect(back.properties.temperature!.values).toEqual([600.5, 601, 602, 603]);
    expect(back.properties.pressure!.values).toEqual([2e-7, 3e-7, 4e-7, 5e-7]);
    const entry = await http(emu)("GET", `/data_entries/?data_ids=${dataId}`);
    expect(entry.body[0]?.pipeline_status).toBe("success");
  }, 60_000);
});

describe.each(["node", "deno"] as const)("a device whose first line is bare names (an Arduino after the reset that opening causes), in %s", (runtime: Runtime) => {
  it.skipIf(skipSocat || (runtime === "deno" && skipDeno))("the names line is kept as the header (not dropped as a possible tail); every data line is on the server", async () => {
    if (runtime === "deno") requireDeno();
    const pty = await ptyPair();
    const instrument = startInstrument(pty.a, "lines", { RATE_HZ: "40", CHUNK_SEED: "3", SIM_OPTIONS: JSON.stringify({ header: "names" }) });
    try {
      await instrument.ready;
      const cli = startCli(
        ["stream", "--device", pty.b, "--channels", "a,b", "--api-key", emu.apiKey, "--endpoint", emu.url, "--outbox", await tempDir("cli-outbox-"), "--points-per-chunk", "9", "--log-interval", "0.3"],
        { runtime },
      );
      await cli.waitForStderr(/reading .*\/b \(lines, 115200 baud, 8N1\)/);
      instrument.go();
      const dataId = await cli.dataId(); // the stream starts with the first valid reading
      await cli.waitForCount("read", 40);
      cli.kill("SIGINT");
      expect(await cli.exited()).toBe(0);
      const { produced } = await instrument.stop();
      expect(cli.stderr().match(/The instrument names its columns temperature, pressure; these names are used instead of the configured a, b\./g), cli.stderr()).toHaveLength(1);
      const back = await readBack(emu, dataId);
      expect(Object.keys(back.properties).sort()).toEqual(["pressure", "temperature"]);
      for (const channel of ["temperature", "pressure"]) {
        const values = back.properties[channel]!.values;
        const sent = produced.filter((p: Produced) => p.channel === channel).map((p) => p.value);
        expect(values.length).toBeGreaterThanOrEqual(20);
        expect(values).toEqual(sent.slice(0, values.length)); // from the very first data line on
      }
    } finally {
      await instrument.stop().catch(() => {});
      await pty.close();
    }
  }, 60_000);
});
