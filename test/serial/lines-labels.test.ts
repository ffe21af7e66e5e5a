/**
 * The `lines` driver and what instruments really print (issues 10 and 13): the Arduino serial plotter's
 * label forms, the header that overrides configured names said once, channel names that are
 * `Object.prototype` names, and over-long labels or values reported while the good lines around them arrive.
 */
import { describe, expect, it } from "vitest";
import { createInstrumentIO, timedBytes } from "../../lib/serial/io.js";
import { getDriver } from "../../lib/serial/instruments/index.js";
import { createSimulator } from "../../lib/serial/simulators.js";
import type { DriverInfo, DriverOptions, DriverProblem } from "../../lib/serial/driver.js";
import { checkReading } from "../../lib/input.js";
import { collect, cut, encode, splits } from "./split-helpers.js";
import { timedSource } from "./split-helpers.js";

const driver = getDriver("lines");

async function readAll(pieces: Uint8Array[], options: DriverOptions = {}) {
  const problems: DriverProblem[] = [];
  const infos: DriverInfo[] = [];
  const io = createInstrumentIO(timedSource(pieces), async () => {});
  const batches = await collect(driver.readings(io, { ...options, onProblem: (p) => problems.push(p), onInfo: (i) => infos.push(i) }));
  return { readings: batches.flat(), problems, infos };
}
const named = (readings: Array<{ channel: string; value: number }>) => readings.map((r) => `${r.channel}=${r.value}`);

describe("the Arduino serial plotter's label forms", () => {
  it("a first line of bare names (commas or spaces) names the columns, even where the first line is otherwise dropped", async () => {
    for (const first of ["temperature,pressure", "temperature pressure", "temperature\tpressure[mbar]"]) {
      for (const dropFirstLine of [true, false]) {
        const { readings, problems } = await readAll([encode(`${first}\r\n600.5 2e-7\r\n601 3e-7\r\n`)], { dropFirstLine });
        expect(named(readings), first).toEqual(["temperature=600.5", "pressure=2e-7", "temperature=601", "pressure=3e-7"]);
        expect(problems).toEqual([]);
      }
    }
    const { readings } = await readAll([encode("temperature pressure[mbar]\n1 2\n")]);
    expect(readings[1]!.units).toBe("mbar");
  });

  it("a later line of bare words is a bad line, not a header", async () => {
    const { readings, problems } = await readAll([encode("\n1 2\nsensor reset\n3 4\n")]);
    expect(named(readings)).toEqual(["value1=1", "value2=2", "value1=3", "value2=4"]);
    expect(problems.map((p) => [p.kind, p.raw])).toEqual([["bad-line", "sensor reset"]]);
  });

  it("label-only lines (temperature:\\tpressure:) name the columns wherever they come", async () => {
    const { readings, problems } = await readAll([encode("\n1 2\ntemperature:\tpressure:\n3 4\nrate: thickness:\n5 6\n")]);
    expect(named(readings)).toEqual(["value1=1", "value2=2", "temperature=3", "pressure=4", "rate=5", "thickness=6"]);
    expect(problems).toEqual([]);
  });

  it("the same readings for every split of a stream with both forms", async () => {
    const bytes = encode("temperature,pressure\r\n600.5 2e-7\r\ntemperature:\tpressure:\r\n601 3e-7\r\n");
    for (const offsets of splits(bytes.length, 9)) {
      const { readings, problems } = await readAll(cut(bytes, offsets));
      expect(named(readings), `cut at ${offsets.join(",")}`).toEqual(["temperature=600.5", "pressure=2e-7", "temperature=601", "pressure=3e-7"]);
      expect(problems).toEqual([]);
    }
  });

  it("the lines simulator's header forms read back exactly", async () => {
    for (const header of ["names", "labels", "hash"] as const) {
      const sim = createSimulator("lines", { rateHz: 1000, count: 20, header, chunking: { seed: 5, maxChunk: 6 } });
      const io = createInstrumentIO(timedBytes(sim.readable), async () => {});
      const readings = (await collect(driver.readings(io, { dropFirstLine: true }))).flat();
      expect(readings.map(({ channel, value }) => ({ channel, value })), header).toEqual(sim.produced);
      expect(sim.produced).toHaveLength(40);
    }
  });
});

describe("a header that overrides configured names is said once", () => {
  it("onInfo once per new naming, with the configured names it overrides", async () => {
    const { readings, infos } = await readAll([encode("# x y\n1 2\n# x y\n3 4\nx:\ty:\n5 6\n# a b\n7 8\n")], { channels: ["a", "b"] });
    expect(named(readings)).toEqual(["x=1", "y=2", "x=3", "y=4", "x=5", "y=6", "a=7", "b=8"]);
    expect(infos.map((i) => [i.columns, i.configured])).toEqual([
      [["x", "y"], ["a", "b"]],
      [["a", "b"], undefined],
    ]);
    expect(infos[0]!.message).toBe("The instrument names its columns x, y; these names are used instead of the configured a, b.");
  });

  it("without configured names, the naming is still told (no override)", async () => {
    const { infos } = await readAll([encode("temperature pressure\n1 2\n")]);
    expect(infos).toMatchObject([{ kind: "columns", columns: ["temperature", "pressure"], configured: undefined, message: "The instrument names its columns temperature, pressure." }]);
  });
});

describe("report, never abort", () => {
  it("Object.prototype names are channels like any other, with the right units", async () => {
    const { readings, problems } = await readAll([encode("\nconstructor:2 __proto__:3 toString=4 valueOf:5 hasOwnProperty:6\n# constructor[K] __proto__\n7 8\n")], {
      units: { valueOf: "V" },
    });
    expect(problems).toEqual([]);
    expect(readings.map((r) => [r.channel, r.value, r.units])).toEqual([
      ["constructor", 2, undefined],
      ["__proto__", 3, undefined],
      ["toString", 4, undefined],
      ["valueOf", 5, "V"],
      ["hasOwnProperty", 6, undefined],
      ["constructor", 7, "K"],
      ["__proto__", 8, undefined],
    ]);
    for (const r of readings) expect(() => checkReading(r)).not.toThrow();
  });

  it("an over-long label or value is a bad-line report; the good lines before and after it arrive", async () => {
    const long = "x".repeat(300);
    const digits = "9".repeat(400);
    const { readings, problems } = await readAll([encode(`\na:1\n${long}:2\na:3\nb:${digits}\n# ${long}\n4\n# c\n5\n`)]);
    expect(named(readings)).toEqual(["a=1", "a=3", "c=5"]);
    expect(problems.map((p) => p.kind)).toEqual(["bad-line", "bad-line", "bad-line"]);
    expect(problems[0]!.message).toMatch(/^Skipped a line: the channel name must be 1–255 characters long, not 300/);
    expect(problems[1]!.message).toMatch(/^Skipped a line: "9{37}\.\.\." is not a number\.$/);
    expect(problems[2]!.message).toMatch(/not 300/); // the data line under the over-long header name
  });

  it("a NUL in a label is a bad line (the platform's database cannot store it)", async () => {
    const { readings, problems } = await readAll([encode("\na:1\nb\u0000c:2\na:3\n")]);
    expect(named(readings)).toEqual(["a=1", "a=3"]);
    expect(problems.map((p) => p.message)).toEqual(['Skipped a line: the channel name contains a NUL character (U+0000), which the platform cannot store; remove it (got "b\\u0000c").']);
  });
});
