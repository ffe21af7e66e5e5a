/**
 * Statuses are problems, never numbers (LO, OFF, WAIT, over/under range, OPEN, gauge off, no crystal,
 * exceptions); several channels per instrument; addresses; configuration errors that name the option.
 */
import { describe, expect, it } from "vitest";
import { createInstrumentIO } from "../../lib/serial/io.js";
import { getDriver, parseMksReply } from "../../lib/serial/instruments/index.js";
import { DriverConfigError } from "../../lib/serial/driver-error.js";
import type { DriverOptions, TimedBytes } from "../../lib/serial/driver.js";
import { latin1 } from "../../lib/serial/instruments/polled.js";
import { pollSimulator, renamed, valuesOf } from "./poll-harness.js";

describe("mks-937b", () => {
  it("LO, OFF, WAIT, MISCONN are statuses and >…/<… are out of range: reported, never readings", async () => {
    const statuses = [undefined, "LO", "OFF", "WAIT", ">1.00E+03", "<1.00E-10", "MISCONN", undefined];
    const run = await pollSimulator("mks-937b", 2, { statusOf: (n) => statuses[n % 8] }, {}, (r) => r.problems.length >= 6 && r.readings.length >= 2);
    expect(run.problems.slice(0, 6).map((p) => [p.kind, /Gauge 1: (\w+)|(over|under) its range/.exec(p.message)?.slice(1).find(Boolean)])).toEqual([
      ["status", "LO"],
      ["status", "OFF"],
      ["status", "WAIT"],
      ["out-of-range", "over"],
      ["out-of-range", "under"],
      ["status", "MISCONN"],
    ]);
    expect(valuesOf(run.readings)).toEqual(run.sim.produced.slice(0, run.readings.length));
    expect(run.readings.map((r) => r.value)).toEqual([1e-5, 2.75e-5]); // n = 0 and n = 7
  });

  it("reads the gauges asked for at the address given, each its own channel", async () => {
    const run = await pollSimulator("mks-937b", 6, { address: "7" }, { address: "7", inputs: ["3", "1"], channels: ["chamber", "loadlock"] });
    expect(latin1(run.queries[0]!)).toBe("@007PR3?;FF");
    expect(latin1(run.queries[1]!)).toBe("@007PR1?;FF");
    expect(run.readings.map((r) => r.channel)).toEqual(["chamber", "loadlock", "chamber", "loadlock", "chamber", "loadlock"]);
    expect(valuesOf(run.readings)).toEqual(renamed(run.sim.produced, (c) => (c === "pressure_3" ? "chamber" : "loadlock")).slice(0, 6));
  });

  it("parses replies, and refuses a reply from another address", async () => {
    expect(parseMksReply("@253ACK1.10E-05")).toEqual({ address: "253", ok: true, body: "1.10E-05" });
    expect(parseMksReply("junk@253NAK160")).toEqual({ address: "253", ok: false, body: "160" });
    expect(parseMksReply("ACK1.0")).toBeUndefined();
    // Another controller answers whatever is asked, with its own address.
    let controller!: ReadableStreamDefaultController<TimedBytes>;
    const source = new ReadableStream<TimedBytes>({ start: (c) => void (controller = c) });
    const io = createInstrumentIO(source, async () => controller.enqueue({ bytes: new TextEncoder().encode("@253ACK1.00E-05;FF"), t: 1 }));
    const problems: string[] = [];
    const abort = new AbortController();
    const reader = getDriver("mks-937b").readings(io, { address: "12", signal: abort.signal, onProblem: (p) => void (problems.push(p.message) >= 2 && abort.abort()) }).getReader();
    expect((await reader.read()).done).toBe(true);
    expect(problems[0]).toBe("A reply from address 253 to a query for address 012: is another controller on the line? Not read.");
  });
});

describe("agilent-xgs600", () => {
  it("one channel per gauge; OPEN or NOCBL on one gauge is a status, the others are read", async () => {
    const run = await pollSimulator("agilent-xgs600", 4, { statusOf: (n, ch) => (ch === "pressure_2" ? (n % 2 ? "NOCBL" : "OPEN") : undefined) });
    expect(run.readings.map((r) => r.channel)).toEqual(["pressure_1", "pressure_3", "pressure_1", "pressure_3"]);
    expect(valuesOf(run.readings)).toEqual(run.sim.produced.slice(0, 4));
    expect(run.problems.map((p) => [p.kind, p.raw])).toEqual([
      ["status", "OPEN"],
      ["status", "NOCBL"],
    ]);
    expect(latin1(run.queries[0]!)).toBe("#000F\r");
  });

  it("picks and names gauges by position; a position it does not report is a problem", async () => {
    const run = await pollSimulator("agilent-xgs600", 2, { gauges: 2 }, { inputs: ["2", "5"], channels: ["ion", "none"] }, (r) => r.problems.length >= 1 && r.readings.length >= 2);
    expect(run.readings.map((r) => r.channel)).toEqual(["ion", "ion"]);
    expect(run.problems[0]!.message).toBe("The XGS-600 reported 2 gauges; there is no gauge 5.");
  });
});

describe("granville-phillips-350", () => {
  it("DS IG / CG1 / CG2; 9.90E+09 (gauge off) and INVALID are statuses", async () => {
    const run = await pollSimulator("granville-phillips-350", 4, { statusOf: (n) => (n === 1 ? "9.90E+09" : n === 2 ? "INVALID" : undefined) }, { inputs: ["IG", "cg1", "CG2"] });
    expect(run.queries.slice(0, 3).map(latin1)).toEqual(["DS IG\r\n", "DS CG1\r\n", "DS CG2\r\n"]);
    expect(run.problems.map((p) => p.message)).toEqual([
      "Gauge CG1 is off (it answered 9.90E+09); no reading.",
      "Gauge CG2 answered INVALID instead of a pressure; no reading.",
    ]);
    expect(run.readings.map((r) => r.channel)).toEqual(["pressure_IG", "pressure_IG", "pressure_CG1", "pressure_CG2"]);
    expect(valuesOf(run.readings)).toEqual(run.sim.produced.slice(0, 4));
  });
});

describe("inficon-sqm160", () => {
  it("rate, thickness, frequency, crystal life for each sensor asked for; a status other than A is a problem", async () => {
    const run = await pollSimulator("inficon-sqm160", 8, { statusOf: (n) => (n === 2 ? "C" : undefined) }, { address: "1,3" }, (r) => r.readings.length >= 7);
    expect(run.problems.map((p) => p.kind)).toEqual(["status"]);
    expect(run.problems[0]!.message).toBe("The SQM-160 answered P1 with status C (invalid command); no reading.");
    expect(run.readings.map((r) => r.channel)).toEqual(["rate_1", "thickness_1", "crystal_life_1", "rate_3", "thickness_3", "frequency_3", "crystal_life_3"]);
    expect(valuesOf(run.readings)).toEqual(run.sim.produced.slice(0, 7));
    expect(run.queries.slice(0, 4).map((q) => latin1(q.subarray(2, -2)))).toEqual(["L1?", "N1", "P1", "R1"]);
  });
});

describe("sycon-stm100", () => {
  it("S thickness (a signed integer) and T rate; --------, and codes F–K, are problems", async () => {
    const run = await pollSimulator("sycon-stm100", 3, { statusOf: (n) => (n === 1 ? "--------" : n === 2 ? "F" : undefined), value: (n, ch) => (ch === "thickness" ? -1595 + n : 12.3) });
    expect(run.problems.map((p) => p.message)).toEqual([
      "The STM-100 has no rate (--------); no reading.",
      "The STM-100 answered S (thickness) with code F (illegal command); no reading.",
    ]);
    expect(valuesOf(run.readings).slice(0, 3)).toEqual([
      { channel: "thickness", value: -1595 },
      { channel: "rate", value: 12.3 },
      { channel: "thickness", value: -1591 },
    ]);
  });
});

describe("eurotherm-bisynch", () => {
  it("PV, SL, OP as channels; a mnemonic it lacks (EOT) and a value that is not a number are problems", async () => {
    const run = await pollSimulator("eurotherm-bisynch", 4, { statusOf: (n) => (n === 1 ? "Sbr" : undefined) }, { inputs: ["PV", "XX", "OP"] }, (r) => r.readings.length >= 3);
    expect(run.queries.slice(0, 3).map(latin1)).toEqual(["\x040011PV\x05", "\x040011XX\x05", "\x040011OP\x05"]);
    expect(run.problems.map((p) => p.message)).toEqual([
      "Controller 01 has no parameter XX (it answered EOT); no reading.",
      "OP of controller 01 is Sbr, not a number; no reading.",
      "Controller 01 has no parameter XX (it answered EOT); no reading.",
    ]);
    expect(run.readings.map((r) => `${r.channel}=${r.value}${r.units}`)).toEqual(["PV=600C", "PV=600.2C", "OP=36.5%"]);
  });

  it("talks to its address only", async () => {
    const run = await pollSimulator("eurotherm-bisynch", 1, { address: "12" }, { address: "12", channels: ["furnace"] });
    expect(latin1(run.queries[0]!)).toBe("\x041122PV\x05");
    expect(run.readings[0]).toMatchObject({ channel: "furnace", value: 600, units: "C" });
  });
});

describe("modbus-rtu", () => {
  it("an exception reply is a problem naming the code; the next read reads right", async () => {
    const run = await pollSimulator("modbus-rtu", 3, { statusOf: (n) => (n === 1 ? "2" : undefined) });
    expect(run.problems.map((p) => [p.kind, p.message])).toEqual([
      ["exception", "Slave 1 answered the read of register 4096 (0x1000) of slave 1 with exception 2 (illegal data address); no reading."],
    ]);
    expect(run.readings.map((r) => r.value)).toEqual([250, 252, 253]);
  });

  const types = [
    ["int16", "big", 1, -123],
    ["uint16", "big", 1, 65000],
    ["int16", "big", 0.1, -12.3],
    ["int32", "big", 1, -70000],
    ["int32", "little", 1, 123456789],
    ["uint32", "little", 0.01, 40000000.55],
    ["float32", "big", 1, 1234.5],
    ["float32", "little", 1, -0.15625],
  ] as const;
  it.each(types)("%s, word order %s, scale %s: %s reads back exactly", async (dataType, wordOrder, scale, value) => {
    const options: DriverOptions = { dataType, wordOrder, scale, registers: [7, 40001 - 40001 + 8], channels: ["a", "b"], functionCode: 4 };
    const run = await pollSimulator("modbus-rtu", 4, { dataType, wordOrder, scale, value: (n) => value + n * (dataType === "float32" ? 0.5 : scale) }, options);
    expect(valuesOf(run.readings)).toEqual(renamed(run.sim.produced, (c) => (c === "register_7" ? "a" : "b")).slice(0, 4));
    expect(run.readings[0]!.value).toBe(value);
    expect(run.queries[0]![1]).toBe(4);
    expect(run.queries[0]![5]).toBe(dataType.endsWith("16") ? 1 : 2);
  });

  it("a frame interrupted by a silence longer than silenceMs is dropped and reported, the next one is read", async () => {
    let writes = 0;
    const chunking = (bytes: Uint8Array) => (++writes === 2 ? [bytes.subarray(0, 3)] : [bytes]); // reply 2 loses its tail
    const run = await pollSimulator("modbus-rtu", 3, { chunking }, { silenceMs: 20, timeoutMs: 100 });
    expect(run.problems.map((p) => p.kind)).toEqual(["timeout"]);
    expect(run.readings.map((r) => r.value)).toEqual([250, 252, 253]);
  });
});

describe("configuration errors name the option and the value", () => {
  const io = createInstrumentIO(new ReadableStream<TimedBytes>(), async () => {});
  const cases: Array<[string, DriverOptions, string, RegExp]> = [
    ["mks-937b", { address: "255" }, "bad-address", /from 1 to 254 \(got "255"/],
    ["mks-937b", { inputs: ["7"] }, "bad-input", /"7" is not a gauge this instrument has: use 1 to 6/],
    ["mks-937b", { channels: ["a", "b", "c", "d", "e", "f", "g"] }, "bad-channels", /7 channel names for at most 6 gauges/],
    ["mks-937b", { inputs: ["1", "2"], channels: ["a"] }, "bad-channels", /1 channel names for 2 gauges/],
    ["agilent-xgs600", { address: "0x" }, "bad-address", /two hex digits/],
    ["granville-phillips-350", { inputs: ["IG2"] }, "bad-input", /use IG, CG1 or CG2/],
    ["inficon-sqm160", { address: "7" }, "bad-address", /1 to 6, or a list such as "1,2" \(got "7"\)/],
    ["inficon-sqm160", { inputs: ["rate", "mass"] }, "bad-input", /"mass" is not a quantity the SQM-160 reads/],
    ["sycon-stm100", { inputs: ["density"] }, "bad-input", /use thickness or rate/],
    ["eurotherm-bisynch", { address: "1" }, "bad-address", /two digits, 00 to 99 \(got "1"/],
    ["modbus-rtu", {}, "missing-register", /needs the register to read/],
    ["modbus-rtu", { registers: [70000] }, "bad-register", /0 to 65535 \(0xFFFF\); got 70000/],
    ["modbus-rtu", { registers: [1], address: "248" }, "bad-address", /1 to 247 \(got "248"\)/],
    ["modbus-rtu", { registers: [1], functionCode: 6 as 3 }, "bad-function", /3 \(holding registers\) or 4 \(input registers\), got 6/],
    ["modbus-rtu", { registers: [1], dataType: "int8" as "int16" }, "bad-type", /one of int16, uint16, int32, uint32, float32, got "int8"/],
    ["modbus-rtu", { registers: [1], scale: 0 }, "bad-scale", /other than 0, got 0/],
    ["modbus-rtu", { registers: [1, 2], channels: ["a"] }, "bad-channels", /1 channel names for 2 registers/],
  ];
  it.each(cases)("%s %j → %s", (id, options, code, message) => {
    let error: unknown;
    try {
      getDriver(id).readings(io, options);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DriverConfigError);
    expect((error as DriverConfigError).code).toBe(code);
    expect((error as Error).message).toMatch(message);
  });
});

describe("a reading the streamer would refuse", () => {
  it("is reported (bad-reading) and left out; the pipe goes on", async () => {
    const run = await pollSimulator("eurotherm-bisynch", 4, {}, { channels: ["ok", "bad\u0000name", "x".repeat(256)] }, (r) => r.readings.length >= 2);
    expect(run.readings.map((r) => r.channel)).toEqual(["ok", "ok"]);
    expect(run.problems.slice(0, 2).map((p) => p.kind)).toEqual(["bad-reading", "bad-reading"]);
    expect(run.problems[0]!.message).toMatch(/^Skipped a reading: reading\.channel contains a NUL character .*\(got "bad\\u0000name"\)/);
    expect(run.problems[1]!.message).toMatch(/^Skipped a reading: .*must be 1–255 characters long, not 256/);
  });
});

describe("granville-phillips-350 at 300 baud", () => {
  it("waits up to 3 s for a reply by default (a query and its reply take most of a second at 300 baud)", async () => {
    const run = await pollSimulator("granville-phillips-350", 2, { latencyMs: 1200 }, { timeoutMs: undefined });
    expect(run.problems).toEqual([]);
    expect(valuesOf(run.readings)).toEqual(run.sim.produced.slice(0, 2));
  }, 20_000);
});
