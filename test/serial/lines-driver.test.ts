/**
 * The `lines` driver: header naming, label:value and key=value, bad lines reported and skipped, the
 * first-line rule — on the same byte stream cut at every offset; then end to end against the simulator.
 */
import { describe, expect, it } from "vitest";
import { createInstrumentIO, timedBytes } from "../../lib/serial/io.js";
import { getDriver } from "../../lib/serial/instruments/index.js";
import { PlotterLineParser } from "../../lib/serial/instruments/lines.js";
import { createSimulator, type SimulatorOptions } from "../../lib/serial/simulators.js";
import type { DriverOptions, DriverProblem } from "../../lib/serial/driver.js";
import type { Reading } from "../../lib/types.js";
import { collect, cut, encode, offsetsOf, splits, timedSource, values } from "./split-helpers.js";

const driver = getDriver("lines");

async function readAll(pieces: Uint8Array[], options: DriverOptions = {}) {
  const problems: DriverProblem[] = [];
  const io = createInstrumentIO(timedSource(pieces), async () => {});
  const batches = await collect(driver.readings(io, { ...options, onProblem: (p) => problems.push(p) }));
  return { readings: batches.flat(), problems };
}

const STREAM =
  "3 2.5e-7\r\n" + // the tail of a line: dropped
  "# t_µs temperature[°C] p\r\n" +
  "10 600.25 2.5e-7\r\n" +
  "temperature:601.5,p:4.5e-7\r\n" +
  "rate[Å/s]=0.75 thickness= 12\r\n" +
  "not a number here\r\n" +
  "\r\n" +
  "11\t601.75,,3e-7\r\n" +
  "12, 602.0 ,3.5e-7"; // no terminator: read at the end of input

const EXPECTED = [
  { channel: "t_µs", value: 10, units: undefined },
  { channel: "temperature", value: 600.25, units: "°C" },
  { channel: "p", value: 2.5e-7, units: "mbar" },
  { channel: "temperature", value: 601.5, units: "°C" }, // a label takes the header's units
  { channel: "p", value: 4.5e-7, units: "mbar" },
  { channel: "rate", value: 0.75, units: "Å/s" },
  { channel: "thickness", value: 12, units: undefined },
  { channel: "t_µs", value: 11, units: undefined },
  { channel: "temperature", value: 601.75, units: "°C" },
  { channel: "p", value: 3e-7, units: "mbar" },
  { channel: "t_µs", value: 12, units: undefined },
  { channel: "temperature", value: 602, units: "°C" },
  { channel: "p", value: 3.5e-7, units: "mbar" },
];

describe("lines driver on one byte stream cut every way", () => {
  it("gives the same readings and the same one bad line for every split (inside CR LF, °, µ and Å too)", async () => {
    const bytes = encode(STREAM);
    const tricky = ["\r\n", "°", "µ", "Å"].flatMap((s) => offsetsOf(bytes, s));
    const all = splits(bytes.length, 11, tricky);
    for (const offsets of all) {
      const { readings, problems } = await readAll(cut(bytes, offsets), { units: { p: "mbar" } });
      expect(values(readings), `cut at ${offsets.join(",")}`).toEqual(EXPECTED);
      expect(problems.map((p) => [p.kind, p.raw]), `cut at ${offsets.join(",")}`).toEqual([["bad-line", "not a number here"]]);
    }
    expect(all.length).toBeGreaterThan(1000);
  });

  it("stamps every reading of a line with that line's receipt time", async () => {
    const { readings } = await readAll([encode("x\n1 2\n3"), encode(" 4\n"), encode("5 6\n")]);
    expect(readings.map((r) => [r.value, r.t])).toEqual([
      [1, 1],
      [2, 1],
      [3, 2],
      [4, 2],
      [5, 3],
      [6, 3],
    ]);
  });
});

describe("lines driver: naming, first line, bad lines", () => {
  it("unnamed columns take options.channels, then value1, value2, …; units from options.units", async () => {
    const { readings } = await readAll([encode("\n1 2 3\n")], { channels: ["a", "b"], units: { a: "V", value3: "K" } });
    expect(values(readings)).toEqual([
      { channel: "a", value: 1, units: "V" },
      { channel: "b", value: 2, units: undefined },
      { channel: "value3", value: 3, units: "K" },
    ]);
  });

  it("a header names columns over options.channels, and a later header renames them", async () => {
    const { readings } = await readAll([encode("# x y\n1 2\n# y x\n1 2\n")], { channels: ["a", "b"] });
    expect(readings.map((r) => `${r.channel}=${r.value}`)).toEqual(["x=1", "y=2", "y=1", "x=2"]);
  });

  it("drops the first line (a possible tail), keeps it if it is a header, keeps it with dropFirstLine: false", async () => {
    expect(values((await readAll([encode("5 6\n7 8\n")])).readings).map((r) => r.value)).toEqual([7, 8]);
    expect((await readAll([encode("# a b\n7 8\n")])).readings.map((r) => r.channel)).toEqual(["a", "b"]);
    expect(values((await readAll([encode("5 6\n7 8\n")], { dropFirstLine: false })).readings).map((r) => r.value)).toEqual([5, 6, 7, 8]);
  });

  it("reports and skips every line that does not parse, and carries on", async () => {
    const { readings, problems } = await readAll([
      encode("\nboot v1.2\n1 2\n:5\ntemp: x\na:1 a:2\n3 nan\n4 1e400\n5 6\ntemp: 7\n"),
    ]);
    expect(readings.map((r) => `${r.channel}=${r.value}`)).toEqual(["value1=1", "value2=2", "value1=5", "value2=6", "temp=7"]);
    expect(problems.map((p) => p.raw)).toEqual(["boot v1.2", ":5", "temp: x", "a:1 a:2", "3 nan", "4 1e400"]);
    expect(problems.every((p) => p.kind === "bad-line" && p.message.startsWith("Skipped a line:"))).toBe(true);
  });

  it("parses lines one at a time with PlotterLineParser", () => {
    const parser = new PlotterLineParser({ channels: ["a"] });
    expect(parser.parse("  ", 1)).toEqual({ kind: "blank" });
    expect(parser.parse("# T[K] p", 1)).toEqual({ kind: "header", columns: [{ name: "T", units: "K" }, { name: "p" }] });
    expect(parser.parse("1.5 -2", 3)).toEqual({
      kind: "readings",
      readings: [
        { channel: "T", t: 3, value: 1.5, units: "K" },
        { channel: "p", t: 3, value: -2, units: undefined },
      ],
    });
    expect(parser.parse("1 x", 3)).toEqual({ kind: "bad", reason: '"x" is not a number' });
  });

  it("ends when the signal aborts, though the input goes on", async () => {
    const never = new ReadableStream<never>();
    const abort = new AbortController();
    const io = createInstrumentIO(never, async () => {});
    const done = collect(driver.readings(io, { signal: abort.signal }));
    abort.abort();
    expect(await done).toEqual([]);
  });
});

describe("lines driver against the lines simulator", () => {
  async function fromSimulator(options: SimulatorOptions) {
    const sim = createSimulator("lines", { rateHz: 1000, count: 30, ...options });
    const io = createInstrumentIO(timedBytes(sim.readable), async () => {});
    const problems: DriverProblem[] = [];
    const batches = await collect(driver.readings(io, { onProblem: (p) => problems.push(p) }));
    return { sim, readings: batches.flat() as Reading[], problems };
  }

  for (const format of ["columns", "labels", "pairs"] as const) {
    it(`reads back exactly what it produced (${format}, random chunks, connected mid-line)`, async () => {
      const { sim, readings, problems } = await fromSimulator({ format, startMidLine: true, chunking: { seed: 42, maxChunk: 7 } });
      expect(sim.produced).toHaveLength(60);
      expect(readings.map(({ channel, value }) => ({ channel, value }))).toEqual(sim.produced);
      expect(new Set(readings.map((r) => `${r.channel} ${r.units}`))).toEqual(new Set(["temperature °C", "pressure mbar"]));
      expect(problems).toEqual([]);
      const times = readings.map((r) => r.t);
      expect(times).toEqual([...times].sort((a, b) => a - b));
    });
  }

  it("produces its documented values, and counts bad lines as skipped", async () => {
    const { sim, readings, problems } = await fromSimulator({ count: 10, badLine: (n) => n % 4 === 1 });
    expect(sim.produced.slice(0, 2)).toEqual([
      { channel: "temperature", value: 600 },
      { channel: "pressure", value: 2e-7 },
    ]);
    expect(readings.map(({ channel, value }) => ({ channel, value }))).toEqual(sim.produced);
    expect(readings).toHaveLength(14); // 10 lines, 3 of them bad
    expect(problems.map((p) => p.raw)).toEqual(["sensor glitch #1", "sensor glitch #5", "sensor glitch #9"]);
  });
});
