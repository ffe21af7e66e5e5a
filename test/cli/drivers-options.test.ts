/**
 * `stream`'s per-driver options (issue 16): `--driver` takes every id, each driver's options are in the
 * help with its serial defaults, and a bad value is a usage error naming the option and the value —
 * through the built CLI, and as `driverOptions()` builds them.
 */
import { describe, expect, it } from "vitest";
import { driverOptions, driverOptionsHelp } from "../../lib/cli/driver-options.ts";
import { CliError } from "../../lib/cli/errors.ts";
import { DRIVERS, getDriver } from "../../lib/serial/instruments/index.ts";
import { runCli } from "./cli-process.js";

const KEY = ["--api-key", "k-not-used"];
const DEVICE = ["--device", "/dev/null"];

describe("stream --help lists every driver with its serial defaults and options", () => {
  it("in the built CLI", async () => {
    const help = await runCli(["stream", "--help"]);
    expect(help.code).toBe(0);
    for (const id of Object.keys(DRIVERS)) expect(help.stdout).toMatch(new RegExp(`^  ${id} +\\d+ [78][NEO][12] `, "m"));
    for (const flag of ["--register LIST", "--function 3|4", "--type T", "--word-order O", "--scale X", "--inputs LIST", "--address N", "--command QUERY"]) {
      expect(help.stdout, flag).toContain(flag);
    }
    expect(help.stdout).toMatch(/^ {2}granville-phillips-350 +300 7N2 /m);
    expect(help.stdout).toMatch(/^ {2}eurotherm-bisynch +9600 7E1 /m);
    expect(help.stdout).toMatch(/^ {2}modbus-rtu +9600 8E1 /m);
    expect(help.stdout).toMatch(/--type T +int16, uint16, int32, uint32, float32 \(default int16\)/);
  });

  it("one line per driver, then its options, indented", () => {
    const lines = driverOptionsHelp();
    expect(lines.filter((l) => /^ {2}\S/.test(l))).toHaveLength(Object.keys(DRIVERS).length);
    expect(lines.every((l) => l.length <= 130)).toBe(true);
  });
});

describe("usage errors name the option and the value (exit 2)", () => {
  const cases: Array<[string[], string]> = [
    [["--driver", "modbus-rtu"], "--driver modbus-rtu needs --register N (decimal or 0x hex, e.g. 0x1000)"],
    [["--driver", "modbus-rtu", "--register", "0x10000"], '--register takes register numbers from 0 to 65535, decimal or 0x hex (e.g. 4096 or 0x1000), got "0x10000"'],
    [["--driver", "modbus-rtu", "--register", "12a"], 'got "12a"'],
    [["--driver", "modbus-rtu", "--register", "1", "--function", "6"], '--function must be one of 3, 4, got "6"'],
    [["--driver", "modbus-rtu", "--register", "1", "--type", "int8"], '--type must be one of int16, uint16, int32, uint32, float32, got "int8"'],
    [["--driver", "modbus-rtu", "--register", "1", "--word-order", "middle"], '--word-order must be one of big, little, got "middle"'],
    [["--driver", "modbus-rtu", "--register", "1", "--scale", "0"], '--scale takes a number other than 0 (e.g. 0.1), got "0"'],
    [["--driver", "modbus-rtu", "--register", "1", "--scale", "ten"], 'got "ten"'],
    [["--driver", "modbus-rtu", "--register", "1", "--address", "248"], '--address: The Modbus slave address must be a number from 1 to 247 (got "248").'],
    [["--driver", "modbus-rtu", "--register", "1,2", "--channels", "a"], "--channels: 1 channel names for 2 registers: give one name per register."],
    [["--driver", "mks-937b", "--address", "300"], '--address: The MKS 937B address must be a number from 1 to 254 (got "300"; the factory setting is 253).'],
    [["--driver", "mks-937b", "--inputs", "1,9"], '--inputs: "9" is not a gauge this instrument has: use 1 to 6.'],
    [["--driver", "inficon-sqm160", "--address", "0"], '--address: The SQM-160 sensor must be 1 to 6, or a list such as "1,2" (got "0").'],
    [["--driver", "eurotherm-bisynch", "--address", "A1"], "--address: The Eurotherm address must be two digits"],
    [["--driver", "granville-phillips-350", "--inputs", "IG3"], "--inputs: \"IG3\" is not a gauge this instrument has: use IG, CG1 or CG2."],
    [["--driver", "sycon-stm100", "--address", "1"], "--address applies to --driver pfeiffer-tpg26x, lakeshore-33x, impac, mks-937b, agilent-xgs600, inficon-sqm160, eurotherm-bisynch, modbus-rtu, not sycon-stm100."],
    [["--driver", "mks-937b", "--register", "1"], "--register applies to --driver modbus-rtu, not mks-937b."],
    [["--driver", "pfeiffer-tpg26x", "--inputs", "1"], "--inputs applies to --driver mks-937b, agilent-xgs600, granville-phillips-350, inficon-sqm160, sycon-stm100, eurotherm-bisynch, not pfeiffer-tpg26x."],
    [["--driver", "pfeiffer-tpg26x", "--channels", "a,b"], "--driver pfeiffer-tpg26x reads one channel; --channels names 2."],
  ];
  it.concurrent.each(cases)("%j", async (args, message) => {
    const res = await runCli(["stream", ...DEVICE, ...args, ...KEY]);
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr).toContain(message);
    expect(res.stderr.trim().split("\n").length, res.stderr).toBeLessThanOrEqual(2);
  });

  it("--stdin with a per-driver option names the drivers that take it", async () => {
    const res = await runCli(["stream", "--stdin", "--type", "float32", ...KEY]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("--type applies to --driver modbus-rtu, not lines.");
  });
});

describe("driverOptions()", () => {
  const build = (id: string, values: Record<string, string>, channels?: string[]) => driverOptions("stream", values, getDriver(id), { channels, units: {} });

  it("modbus-rtu: registers in decimal and hex, function, type, word order, scale", () => {
    expect(build("modbus-rtu", { register: "0x1000, 4097", function: "4", type: "float32", "word-order": "little", scale: "0.1", address: "17" }, ["pv", "sp"])).toEqual({
      channels: ["pv", "sp"],
      units: {},
      address: "17",
      registers: [4096, 4097],
      functionCode: 4,
      dataType: "float32",
      wordOrder: "little",
      scale: 0.1,
    });
    expect(build("modbus-rtu", { register: "0" })).toMatchObject({ registers: [0], functionCode: 3, dataType: "int16", wordOrder: "big" });
    expect(build("modbus-rtu", { register: "1", scale: "-2.5e-3" }).scale).toBe(-0.0025);
  });

  it("the gauge and QCM drivers: --address and --inputs as lists", () => {
    expect(build("mks-937b", { address: "12", inputs: "3, 5" }, ["a", "b"])).toMatchObject({ address: "12", inputs: ["3", "5"], channels: ["a", "b"] });
    expect(build("inficon-sqm160", { address: "1,2", inputs: "rate,thickness" })).toMatchObject({ address: "1,2", inputs: ["rate", "thickness"] });
    expect(build("eurotherm-bisynch", { inputs: "pv,op" })).toMatchObject({ inputs: ["pv", "op"] });
  });

  it("a bad value is a CliError with the usage exit code", () => {
    expect(() => build("modbus-rtu", { register: "x" })).toThrow(CliError);
    try {
      build("modbus-rtu", { register: "x" });
    } catch (error) {
      expect((error as CliError).exitCode).toBe(2);
    }
  });
});
