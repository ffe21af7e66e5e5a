/**
 * The polled drivers end to end against their simulators through createInstrumentIO: query and reply,
 * every reply cut at every offset (and in three pieces), NAK, status ≠ 0, out of range, timeout and
 * recovery, stale input flushed before a query, one query in flight, intervalMs, abort and end.
 */
import { describe, expect, it } from "vitest";
import { createInstrumentIO, timedBytes } from "../../lib/serial/io.js";
import { DRIVERS, getDriver, parsePfeifferReply } from "../../lib/serial/instruments/index.js";
import { DriverConfigError } from "../../lib/serial/driver-error.js";
import { createSimulator, SIMULATOR_IDS, type InstrumentSimulator, type SimulatorOptions } from "../../lib/serial/simulators.js";
import type { DriverOptions, DriverProblem, TimedBytes } from "../../lib/serial/driver.js";
import type { Reading } from "../../lib/types.js";
import { collect, cut, encode } from "./split-helpers.js";

const POLLED = ["pfeiffer-tpg26x", "lakeshore-33x", "scpi", "impac"] as const;
type PolledId = (typeof POLLED)[number];
const DRIVER_OPTIONS: Record<PolledId, DriverOptions> = {
  "pfeiffer-tpg26x": {},
  "lakeshore-33x": {},
  scpi: { command: "MEAS:TEMP?" },
  impac: {},
};
const EXPECTED_UNITS: Record<PolledId, string | undefined> = { "pfeiffer-tpg26x": "mbar", "lakeshore-33x": "K", scpi: undefined, impac: "C" };

interface Run {
  sim: InstrumentSimulator;
  readings: Reading[];
  problems: DriverProblem[];
  queries: string[];
}

/**
 * Poll `id`'s simulator until `want` readings (or until `stop` says so), then stop by the signal.
 * Records every query the driver wrote, in order.
 */
async function poll(
  id: PolledId,
  want: number,
  simOptions: SimulatorOptions = {},
  driverOptions: DriverOptions = {},
  stop?: (run: Run) => boolean,
): Promise<Run> {
  const sim = createSimulator(id, { latencyMs: 0, ...simOptions });
  const writer = sim.writable.getWriter();
  const queries: string[] = [];
  const io = createInstrumentIO(timedBytes(sim.readable), async (bytes) => {
    queries.push(new TextDecoder().decode(bytes));
    await writer.write(bytes);
  });
  const abort = new AbortController();
  const run: Run = { sim, readings: [], problems: [], queries };
  const done = () => run.readings.length >= want || (stop?.(run) ?? false);
  const stream = getDriver(id).readings(io, {
    timeoutMs: 200,
    ...DRIVER_OPTIONS[id],
    ...driverOptions,
    signal: abort.signal,
    onProblem: (p) => {
      run.problems.push(p);
      if (done()) abort.abort();
    },
  });
  const reader = stream.getReader();
  while (!done()) {
    const { value, done: ended } = await reader.read();
    if (ended) break;
    run.readings.push(...value);
  }
  abort.abort();
  await reader.cancel();
  sim.close();
  return run;
}

const valuesOf = (readings: Reading[]) => readings.map(({ channel, value }) => ({ channel, value }));

describe.each(POLLED)("%s against its simulator", (id) => {
  it("reads back exactly what the simulator produced, with the instrument's units, one query in flight", async () => {
    const run = await poll(id, 5, { latencyMs: 3, chunking: { seed: 3, maxChunk: 4 } });
    expect(run.readings).toHaveLength(5);
    expect(valuesOf(run.readings)).toEqual(run.sim.produced.slice(0, 5));
    expect(run.readings.every((r) => r.units === EXPECTED_UNITS[id])).toBe(true);
    expect(run.problems).toEqual([]);
    expect(run.sim.overlaps).toBe(0);
    const t = run.readings.map((r) => r.t);
    expect(t).toEqual([...t].sort((a, b) => a - b));
  });

  it("gives the same readings with every reply cut at every offset, and in three pieces", async () => {
    const reference = valuesOf((await poll(id, 3)).readings);
    expect(reference).toHaveLength(3);
    let runs = 0;
    const cuts: number[][] = [];
    for (let i = 1; i < 16; i++) {
      cuts.push([i]);
      for (let j = i + 1; j < 16; j++) cuts.push([i, j]);
    }
    for (const offsets of cuts) {
      const run = await poll(id, 3, { chunking: (bytes) => cut(bytes, offsets) });
      expect(valuesOf(run.readings), `cut at ${offsets.join(",")}`).toEqual(reference);
      expect(run.problems, `cut at ${offsets.join(",")}`).toEqual([]);
      runs++;
    }
    expect(runs).toBe(120);
  });

  it("reports a timeout and recovers with the next query", async () => {
    const run = await poll(id, 3, { ignore: (n) => n === 1 }, { timeoutMs: 40 });
    expect(run.problems.map((p) => p.kind)).toEqual(["timeout"]);
    expect(run.problems[0]!.message).toMatch(/^No reply to .* within 40 ms; polling goes on\.$/);
    expect(valuesOf(run.readings)).toEqual(run.sim.produced.slice(0, 3));
    expect(run.sim.overlaps).toBe(0);
  });

  it("flushes stale input before each query (a plausible stale line after every reply is never read as a reply)", async () => {
    const stale: Record<PolledId, string> = {
      "pfeiffer-tpg26x": "0,9.9990E+02\r\n",
      "lakeshore-33x": "+999.999\r\n",
      scpi: "+9.999000E+02\n",
      impac: "09999\r",
    };
    for (const latencyMs of [0, 2]) {
      const run = await poll(id, 6, { latencyMs, staleAfterReply: stale[id], chunking: { seed: 9, maxChunk: 3 } });
      // Never a stale value read as a reply. On a busy machine stale bytes can arrive after the flush: that
      // query then fails as a bad reply (reported) — a lost reading, never a wrong one.
      expect(run.readings.some((r) => r.value > 900)).toBe(false);
      const produced = run.sim.produced;
      let at = 0;
      for (const v of valuesOf(run.readings)) {
        while (at < produced.length && (produced[at]!.value !== v.value || produced[at]!.channel !== v.channel)) at++;
        expect(at, `${v.channel} ${v.value} is one the instrument produced, in order`).toBeLessThan(produced.length);
        at++;
      }
      expect(run.readings.length + run.problems.length).toBeGreaterThanOrEqual(6);
      for (const p of run.problems) expect(p.kind, p.message).not.toBe("timeout");
    }
  });

  it("ends when the input ends", async () => {
    const sim = createSimulator(id, { latencyMs: 0 });
    const writer = sim.writable.getWriter();
    const io = createInstrumentIO(timedBytes(sim.readable), (b) => writer.write(b));
    const stream = getDriver(id).readings(io, { ...DRIVER_OPTIONS[id], timeoutMs: 50 });
    const reader = stream.getReader();
    expect((await reader.read()).done).toBe(false);
    sim.close();
    for (;;) if ((await reader.read()).done) break; // closes, does not hang
    expect(io.ended).toBe(true);
  });
});

describe("stale bytes in the same chunk as the reply", () => {
  it("are forgotten with the reply's chunk: a trailing line and a partial one are never taken for the next reply", async () => {
    // A device that answers each query in ONE chunk: the reply, a stale whole line, a stale partial line.
    let controller!: ReadableStreamDefaultController<TimedBytes>;
    const source = new ReadableStream<TimedBytes>({ start: (c) => void (controller = c) });
    let k = 0;
    const io = createInstrumentIO(source, async () => {
      k++;
      controller.enqueue({ bytes: encode(`+0${70 + k}.000\r\n+999.999\r\n+99`), t: k });
    });
    const abort = new AbortController();
    const reader = getDriver("lakeshore-33x").readings(io, { signal: abort.signal, timeoutMs: 100 }).getReader();
    const got: number[] = [];
    while (got.length < 4) got.push(...((await reader.read()).value ?? []).map((r) => r.value));
    abort.abort();
    expect(got).toEqual([71, 72, 73, 74]);
  });
});

describe("pfeiffer-tpg26x", () => {
  it("talks PR1 → ACK → ENQ → value", async () => {
    const run = await poll("pfeiffer-tpg26x", 2);
    expect(run.queries.slice(0, 4)).toEqual(["PR1\r\n", "\x05", "PR1\r\n", "\x05"]);
    expect(run.sim.received.slice(0, 2)).toEqual(["PR1", "<ENQ>"]);
    expect(run.readings[0]).toMatchObject({ channel: "pressure", value: 1e-6, units: "mbar" });
    expect(run.readings[1]).toMatchObject({ value: 1.37e-6 });
  });

  it("reports NAK (a gauge the controller refuses) and never sends ENQ then", async () => {
    const run = await poll("pfeiffer-tpg26x", 1, {}, { address: "3" }, (r) => r.problems.length >= 3);
    expect(run.readings).toEqual([]);
    expect(run.problems.slice(0, 3).map((p) => p.kind)).toEqual(["nak", "nak", "nak"]);
    expect(run.problems[0]!.message).toMatch(/refused PR3 \(NAK\)/);
    expect(run.queries.every((q) => q === "PR3\r\n")).toBe(true);
  });

  it("reports status 1–6 with its meaning and no number", async () => {
    const run = await poll("pfeiffer-tpg26x", 2, { status: (n) => n % 7 }, {}, (r) => r.problems.length >= 6 && r.readings.length >= 2);
    expect(run.problems.slice(0, 6).map((p) => p.kind)).toEqual(Array(6).fill("status"));
    expect(run.problems.slice(0, 6).map((p) => p.message.match(/^Gauge 1: (.*) \(status (\d)\)/)?.slice(1))).toEqual([
      ["underrange", "1"],
      ["overrange", "2"],
      ["sensor error", "3"],
      ["sensor off", "4"],
      ["no sensor", "5"],
      ["identification error", "6"],
    ]);
    expect(valuesOf(run.readings)).toEqual(run.sim.produced.slice(0, run.readings.length)); // status 0 only
    expect(run.readings.map((r) => r.value)).toEqual([1e-6, 1e-6]); // n = 0 and n = 7
  });

  it("parses status,value replies", () => {
    expect(parsePfeifferReply("0,1.2300E-05")).toEqual({ status: 0, value: 1.23e-5 });
    expect(parsePfeifferReply("2,+9.9000E+03")).toEqual({ status: 2, value: 9900 });
    expect(parsePfeifferReply("0,")).toBeUndefined();
    expect(parsePfeifferReply("\x06")).toBeUndefined();
  });
});

describe("lakeshore-33x, scpi, impac specifics", () => {
  it("lakeshore: KRDG? for the input given, channel temperature_<input>", async () => {
    const run = await poll("lakeshore-33x", 1, {}, { address: "b" });
    expect(run.queries[0]).toBe("KRDG? B\n");
    expect(run.readings[0]).toMatchObject({ channel: "temperature_B", value: 77.35, units: "K" });
  });

  it("scpi: sends the command with LF; channel and units from options; 9.9E37 is out of range", async () => {
    const run = await poll("scpi", 2, { value: (n) => (n === 0 ? 9.9e37 : 21.5) }, { command: " MEAS:VOLT? ", channels: ["bias"], units: { bias: "V" } }, (r) => r.readings.length >= 1);
    expect(run.queries[0]).toBe("MEAS:VOLT?\n");
    expect(run.problems.map((p) => p.kind)).toEqual(["out-of-range"]);
    expect(run.readings[0]).toMatchObject({ channel: "bias", value: 21.5, units: "V" });
  });

  it("scpi: a missing command is a clear error", () => {
    const io = createInstrumentIO(new ReadableStream<TimedBytes>(), async () => {});
    expect(() => getDriver("scpi").readings(io, {})).toThrow(DriverConfigError);
    expect(() => getDriver("scpi").readings(io, { command: "  " })).toThrow(/set options\.command \(e\.g\. "MEAS:TEMP\?"\)/);
  });

  it("impac: tenths of °C; above 77769 is out of range, not a reading", async () => {
    const run = await poll("impac", 1, {}, { address: "07", timeoutMs: 30 }, (r) => r.problems.length >= 1);
    expect(run.queries[0]).toBe("07ms\r"); // the simulator is at 00 (and 99): no answer
    expect(run.problems.map((p) => p.kind)).toEqual(["timeout"]);
    expect(run.readings).toEqual([]);
    const run2 = await poll("impac", 2, { value: (n) => (n === 1 ? 8000 : 1234.5) });
    expect(run2.queries[0]).toBe("00ms\r");
    expect(run2.readings.map((r) => r.value)).toEqual([1234.5, 1234.5]);
    expect(run2.problems.map((p) => [p.kind, p.raw])).toEqual([["out-of-range", "80000"]]);
  });

  it("bad addresses are clear errors", () => {
    const io = createInstrumentIO(new ReadableStream<TimedBytes>(), async () => {});
    expect(() => getDriver("impac").readings(io, { address: "7" })).toThrow(/two digits/);
    expect(() => getDriver("pfeiffer-tpg26x").readings(io, { address: "9" })).toThrow(/1 to 6/);
    expect(() => getDriver("lakeshore-33x").readings(io, { address: "Z" })).toThrow(/A, B, C or D/);
  });
});

describe("polling", () => {
  it("one query in flight: the next query goes out only after the reply, never on a timer", async () => {
    const run = await poll("lakeshore-33x", 20, { latencyMs: 2, chunking: { seed: 5, maxChunk: 2 } });
    expect(run.sim.overlaps).toBe(0);
    expect(run.queries).toHaveLength(20); // HWM 0: no query runs ahead of the reader
    // The detector works: two queries back to back to a slow instrument are an overlap.
    const sim = createSimulator("lakeshore-33x", { latencyMs: 20 });
    const w = sim.writable.getWriter();
    await w.write(encode("KRDG? A\n"));
    await w.write(encode("KRDG? A\n"));
    expect(sim.overlaps).toBe(1);
    sim.close();
  });

  it("intervalMs keeps at most one reading per interval (by timestamps), while replies keep coming", async () => {
    const started = performance.now();
    const run = await poll("lakeshore-33x", 4, { latencyMs: 2 }, { intervalMs: 40 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
    const gaps = run.readings.slice(1).map((r, i) => r.t - run.readings[i]!.t);
    expect(gaps.every((g) => g >= 0.04)).toBe(true);
    expect(run.queries.length).toBeGreaterThan(run.readings.length + 1); // queried on reply, not slept: replies dropped in between
  });

  it("stops when the signal aborts in the middle of a query", async () => {
    const sim = createSimulator("pfeiffer-tpg26x", { latencyMs: 0, ignore: () => true });
    const writer = sim.writable.getWriter();
    const io = createInstrumentIO(timedBytes(sim.readable), (b) => writer.write(b));
    const abort = new AbortController();
    const done = collect(getDriver("pfeiffer-tpg26x").readings(io, { timeoutMs: 60_000, signal: abort.signal }));
    await new Promise((r) => setTimeout(r, 20));
    abort.abort();
    expect(await done).toEqual([]);
    sim.close();
  });

  it("an unknown driver id is a clear error listing the ids", () => {
    expect(Object.keys(DRIVERS)).toEqual([...SIMULATOR_IDS]);
    expect(() => getDriver("toString")).toThrow(`Unknown instrument driver "toString". Use one of: ${SIMULATOR_IDS.join(", ")}.`);
    expect(() => getDriver("__proto__")).toThrow(DriverConfigError);
    expect(() => createSimulator("nope")).toThrow(/No simulator for "nope"/);
    for (const d of Object.values(DRIVERS)) expect(d.serial.baudRate).toBeGreaterThan(0);
    expect(DRIVERS["lakeshore-33x"]!.serial).toMatchObject({ baudRate: 57600, dataBits: 7, parity: "odd" });
    expect(DRIVERS.impac!.serial).toMatchObject({ baudRate: 19200, dataBits: 8, parity: "even" });
  });
});
