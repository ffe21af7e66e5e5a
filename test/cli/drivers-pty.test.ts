/**
 * Every polled driver end to end (issue 16): its simulator on one end of a real pty (socat), the built
 * `atomscale-stream stream --device` on the other, in Node and in Deno, against the emulator; after
 * Ctrl+C the server holds, channel by channel, exactly what the instrument sent, in order, finalized.
 * (`lines` and `pfeiffer-tpg26x` are in stream-device.test.ts.) Linux's stty refuses 7-bit and parity
 * settings on a pty, so every run passes 8N1 explicitly; the drivers' own defaults are checked in
 * test/serial/framed-drivers.test.ts through `getDriver(id).serial`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireDeno, skipDeno } from "../helpers/deno.js";
import { BACKENDS, emulatorOn, http, type RunningEmulator } from "../helpers/emulator.js";
import { readBack } from "../helpers/readback.js";
import { ptyPair, skipSocat, startCli, startInstrument, tempDir, type Produced, type Runtime } from "./cli-process.js";

interface PtyCase {
  /** Extra CLI arguments (the driver's own options). */
  args: string[];
  /** Simulator options (JSON) matching them. */
  sim?: Record<string, unknown>;
  /** The simulator's channel name → the server's. */
  channels: Record<string, string>;
  units: Record<string, string | null>;
}

const CASES: Record<string, PtyCase> = {
  "lakeshore-33x": { args: ["--address", "C"], channels: { temperature_C: "temperature_C" }, units: { temperature_C: "K" } },
  scpi: { args: ["--command", "MEAS:TEMP?", "--channels", "bias:V"], channels: { value: "bias" }, units: { bias: "V" } },
  impac: { args: ["--address", "07"], sim: { address: "07" }, channels: { temperature: "temperature" }, units: { temperature: "C" } },
  "mks-937b": {
    args: ["--address", "12", "--inputs", "3,1", "--channels", "chamber,loadlock:mbar"],
    sim: { address: "12" },
    channels: { pressure_3: "chamber", pressure_1: "loadlock" },
    units: { chamber: "Torr", loadlock: "mbar" },
  },
  "agilent-xgs600": {
    args: [],
    channels: { pressure_1: "pressure_1", pressure_2: "pressure_2", pressure_3: "pressure_3" },
    units: { pressure_1: "Torr", pressure_2: "Torr", pressure_3: "Torr" },
  },
  "granville-phillips-350": { args: ["--inputs", "IG,CG1"], channels: { pressure_IG: "pressure_IG", pressure_CG1: "pressure_CG1" }, units: { pressure_IG: "Torr", pressure_CG1: "Torr" } },
  "inficon-sqm160": {
    args: ["--address", "1,2", "--inputs", "rate,thickness"],
    channels: { rate_1: "rate_1", thickness_1: "thickness_1", rate_2: "rate_2", thickness_2: "thickness_2" },
    units: { rate_1: "Å/s", thickness_1: "kÅ", rate_2: "Å/s", thickness_2: "kÅ" },
  },
  "sycon-stm100": { args: [], channels: { thickness: "thickness", rate: "rate" }, units: { thickness: "Å", rate: "Å/s" } },
  "eurotherm-bisynch": { args: ["--address", "03"], sim: { address: "03" }, channels: { PV: "PV", SL: "SL", OP: "OP" }, units: { PV: "C", SL: "C", OP: "%" } },
  "modbus-rtu": {
    args: ["--address", "17", "--register", "0x1000,4097", "--function", "4", "--type", "int32", "--word-order", "little", "--scale", "0.1", "--channels", "pv:C,sp:C"],
    sim: { address: "17", dataType: "int32", wordOrder: "little", scale: 0.1 },
    channels: { register_4096: "pv", register_4097: "sp" },
    units: { pv: "C", sp: "C" },
  },
};

const emulators = new Map<string, RunningEmulator>();
const backendOf = (runtime: Runtime) => (runtime === "node" ? "pglite" : BACKENDS.at(-1)!);
beforeAll(async () => {
  for (const backend of new Set(["pglite", BACKENDS.at(-1)!] as const)) emulators.set(backend, await emulatorOn(backend));
}, 60_000);
afterAll(async () => {
  for (const emu of emulators.values()) await emu.stop();
});

describe.each(["node", "deno"] as const)("stream --device, every polled driver on a pty, in %s", (runtime: Runtime) => {
  const skip = skipSocat || (runtime === "deno" && skipDeno);

  it.skipIf(skip).each(Object.keys(CASES))("%s: every reading read is on the server, exact, in order, once; Ctrl+C finalizes", async (id) => {
    if (runtime === "deno") requireDeno();
    const c = CASES[id]!;
    const emu = emulators.get(backendOf(runtime))!;
    const pty = await ptyPair();
    const instrument = startInstrument(pty.a, id, { CHUNK_SEED: "7", ...(c.sim ? { SIM_OPTIONS: JSON.stringify(c.sim) } : {}) });
    try {
      await instrument.ready;
      const cli = startCli(
        [
          "stream", "--device", pty.b, "--driver", id, "--data-bits", "8", "--parity", "none", "--stop-bits", "1", ...c.args,
          "--api-key", emu.apiKey, "--endpoint", emu.url, "--outbox", await tempDir("cli-outbox-"), "--points-per-chunk", "7", "--log-interval", "0.3",
        ],
        { runtime },
      );
      const dataId = await cli.dataId();
      await cli.waitForStderr(new RegExp(`reading .*/b \\(${id}, \\d+ baud, 8N1\\)`));
      const names = Object.values(c.channels);
      await cli.waitForCount("read", 12 * names.length, 60_000);
      cli.kill("SIGINT");
      expect(await cli.exited()).toBe(0);
      const { produced, overlaps } = await instrument.stop();
      expect(overlaps, cli.stderr()).toBe(0);

      const back = await readBack(emu, dataId);
      expect(Object.keys(back.properties).sort()).toEqual([...names].sort());
      let total = 0;
      for (const [simName, name] of Object.entries(c.channels)) {
        const sent = produced.filter((p: Produced) => p.channel === simName).map((p) => p.value);
        const got = back.properties[name]!;
        const n = got.values.length;
        expect(n, name).toBeGreaterThanOrEqual(10);
        // At most the reply in flight when the CLI stopped was sent and not read.
        expect(n, name).toBeGreaterThanOrEqual(sent.length - 1);
        expect(got.values, name).toEqual(sent.slice(0, n));
        expect(got.units, name).toBe(c.units[name]);
        const ts = got.unix_timestamp_ms;
        for (let i = 1; i < n; i++) expect(ts[i]!).toBeGreaterThanOrEqual(ts[i - 1]!);
        total += n;
      }
      const summary = /stopped \(Ctrl\+C\): (\d+) readings? read, 0 bad lines skipped/.exec(cli.stderr());
      expect(summary, cli.stderr()).not.toBeNull();
      expect(Number(summary![1])).toBe(total);
      expect(cli.stderr()).toContain(`stream ${dataId} finalized`);
      const entry = await http(emu)("GET", `/data_entries/?data_ids=${dataId}`);
      expect(entry.body[0]?.pipeline_status).toBe("success");
    } finally {
      await instrument.stop().catch(() => {});
      await pty.close();
    }
  }, 120_000);
});
