/**
 * The seven drivers of issue 16 against their simulators: exact read-back with the instrument's units,
 * one query in flight, every reply cut at every offset (inside check bytes, inside `;FF`, inside
 * multi-byte frames) and in three pieces, a timeout and recovery, stale input flushed, the end of input.
 */
import { describe, expect, it } from "vitest";
import { createInstrumentIO, timedBytes } from "../../lib/serial/io.js";
import { DRIVERS, getDriver } from "../../lib/serial/instruments/index.js";
import { createSimulator, simulatorDriverOptions } from "../../lib/serial/simulators.js";
import type { DriverOptions } from "../../lib/serial/driver.js";
import { cut } from "./split-helpers.js";
import { pollSimulator, renamed, valuesOf } from "./poll-harness.js";

interface Case {
  /** Channels and units a default run gives, in the order of one cycle. */
  units: Record<string, string | undefined>;
  /** The simulator's channel names → the driver's (default options). */
  rename?: (channel: string) => string;
  /** The longest reply, in bytes (the cut offsets cover it). */
  replyBytes: number;
  /** A plausible stale reply, sent unsolicited after every measurement reply. */
  stale: string;
  driver?: DriverOptions;
}

const CASES: Record<string, Case> = {
  "mks-937b": { units: { pressure_1: "Torr" }, replyBytes: 18, stale: "@253ACK9.99E+02;FF" },
  "agilent-xgs600": { units: { pressure_1: "Torr", pressure_2: "Torr", pressure_3: "Torr" }, replyBytes: 32, stale: ">9.990E+02,9.990E+02,9.990E+02\r" },
  "granville-phillips-350": { units: { pressure_IG: "Torr" }, replyBytes: 10, stale: "9.99E+02\r\n" },
  "inficon-sqm160": { units: { rate_1: "Å/s", thickness_1: "kÅ", frequency_1: "Hz", crystal_life_1: "%" }, replyBytes: 17, stale: "!*A 999.9 [d" },
  "sycon-stm100": { units: { thickness: "Å", rate: "Å/s" }, replyBytes: 12, stale: "\x02\x07A 999.9\xd4" },
  "eurotherm-bisynch": { units: { PV: "C", SL: "C", OP: "%" }, replyBytes: 10, stale: "\x02PV999.9\x03\x1e" },
  "modbus-rtu": { units: { value: undefined }, rename: () => "value", replyBytes: 7, stale: "\x01\x03\x02\x03\xe7\xf9\x7c" },
};
const IDS = Object.keys(CASES);

describe.each(IDS)("%s against its simulator", (id) => {
  const c = CASES[id]!;
  const channels = Object.keys(c.units);

  it("reads back exactly what the simulator produced, with the instrument's units, one query in flight", async () => {
    const want = 3 * channels.length;
    const run = await pollSimulator(id, want, { latencyMs: 2, chunking: { seed: 3, maxChunk: 4 } }, c.driver);
    expect(run.readings.length).toBeGreaterThanOrEqual(want);
    expect(valuesOf(run.readings)).toEqual(renamed(run.sim.produced, c.rename).slice(0, run.readings.length));
    expect(run.readings.slice(0, channels.length).map((r) => r.channel)).toEqual(channels);
    for (const r of run.readings) expect(r.units, r.channel).toBe(c.units[r.channel]);
    expect(run.problems).toEqual([]);
    expect(run.sim.overlaps).toBe(0);
    const t = run.readings.map((r) => r.t);
    expect(t).toEqual([...t].sort((a, b) => a - b));
  });

  it("gives the same readings with every reply cut at every offset (check bytes and terminators too), and in three pieces", async () => {
    const want = Math.max(3, channels.length);
    const reference = valuesOf((await pollSimulator(id, want, {}, c.driver)).readings).slice(0, want);
    expect(reference).toHaveLength(want);
    const cuts: number[][] = [];
    for (let i = 1; i < c.replyBytes; i++) {
      cuts.push([i]);
      for (let j = i + 1; j < c.replyBytes; j += i < 4 || i > c.replyBytes - 4 ? 1 : 3) cuts.push([i, j]);
    }
    for (const offsets of cuts) {
      const run = await pollSimulator(id, want, { chunking: (bytes) => cut(bytes, offsets) }, c.driver);
      const where = `cut at ${offsets.join(",")}`;
      expect(valuesOf(run.readings).slice(0, want), where).toEqual(reference);
      expect(run.problems, where).toEqual([]);
    }
    // Every byte position of the longest reply was a cut, alone and with another.
    expect(new Set(cuts.map((o) => o[0])).size).toBe(c.replyBytes - 1);
  });

  it("reports a timeout and recovers with the next query", async () => {
    const run = await pollSimulator(id, 2 * channels.length + 1, { ignore: (n) => n === 1 }, { ...c.driver, timeoutMs: 40 });
    expect(run.problems.map((p) => p.kind)).toEqual(["timeout"]);
    expect(run.problems[0]!.message).toMatch(/^No reply to .* within 40 ms; polling goes on\.$/);
    expect(valuesOf(run.readings)).toEqual(renamed(run.sim.produced, c.rename).slice(0, run.readings.length));
    expect(run.sim.overlaps).toBe(0);
  });

  it("flushes stale input before each query: a plausible stale reply is never read as a reading", async () => {
    for (const latencyMs of [0, 2]) {
      const run = await pollSimulator(id, 6, { latencyMs, staleAfterReply: c.stale, chunking: { seed: 9, maxChunk: 3 } }, c.driver);
      expect(run.readings.some((r) => r.value > 900 && r.value < 1000), JSON.stringify(run.readings)).toBe(false);
      const produced = renamed(run.sim.produced, c.rename);
      let at = 0;
      for (const v of valuesOf(run.readings)) {
        while (at < produced.length && (produced[at]!.value !== v.value || produced[at]!.channel !== v.channel)) at++;
        expect(at, `${v.channel} ${v.value} is one the instrument produced, in order`).toBeLessThan(produced.length);
        at++;
      }
      for (const p of run.problems) expect(p.kind, p.message).not.toBe("timeout");
    }
  });

  it("ends when the input ends", async () => {
    const sim = createSimulator(id, { latencyMs: 0 });
    const writer = sim.writable.getWriter();
    const io = createInstrumentIO(timedBytes(sim.readable), (b) => writer.write(b));
    const reader = getDriver(id).readings(io, { ...simulatorDriverOptions(id), ...c.driver, timeoutMs: 50 }).getReader();
    expect((await reader.read()).done).toBe(false);
    sim.close();
    for (;;) if ((await reader.read()).done) break;
    expect(io.ended).toBe(true);
  });

  it("has its instrument's usual serial settings as defaults", () => {
    const serial = DRIVERS[id]!.serial;
    const expected: Record<string, object> = {
      "mks-937b": { baudRate: 9600, dataBits: 8, parity: "none", stopBits: 1 },
      "agilent-xgs600": { baudRate: 9600, dataBits: 8, parity: "none", stopBits: 1 },
      "granville-phillips-350": { baudRate: 300, dataBits: 7, parity: "none", stopBits: 2 },
      "inficon-sqm160": { baudRate: 9600, dataBits: 8, parity: "none", stopBits: 1 },
      "sycon-stm100": { baudRate: 9600, dataBits: 8, parity: "none", stopBits: 1 },
      "eurotherm-bisynch": { baudRate: 9600, dataBits: 7, parity: "even", stopBits: 1 },
      "modbus-rtu": { baudRate: 9600, dataBits: 8, parity: "even", stopBits: 1 },
    };
    expect(serial).toMatchObject(expected[id]!);
  });
});

describe("stopping in the middle of a cycle of several queries", () => {
  it("sends none of the cycle's remaining queries (one query in flight, to the end)", async () => {
    const sim = createSimulator("eurotherm-bisynch", { latencyMs: 0, ignore: () => true });
    const writer = sim.writable.getWriter();
    const queries: Uint8Array[] = [];
    const io = createInstrumentIO(timedBytes(sim.readable), async (b) => {
      queries.push(b);
      await writer.write(b);
    });
    const abort = new AbortController();
    const reader = getDriver("eurotherm-bisynch").readings(io, { timeoutMs: 60_000, signal: abort.signal }).getReader();
    const done = reader.read();
    while (queries.length === 0) await new Promise((r) => setTimeout(r, 5));
    abort.abort();
    expect((await done).done).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(queries).toHaveLength(1);
    expect(sim.overlaps).toBe(0);
    sim.close();
  });
});
