/**
 * Each driver's own command-line options: the parseArgs table, the help lines (every driver with its
 * serial defaults and the options it takes), and `driverOptions()`, which turns the values into the
 * driver's `DriverOptions` — or a usage error naming the option and the value.
 */
import type { DriverOptions, InstrumentDriver, InstrumentIO, ModbusDataType } from "../serial/driver.js";
import { DriverConfigError } from "../serial/driver-error.js";
import { DRIVERS, MODBUS_DATA_TYPES } from "../serial/instruments/index.js";
import { choiceOption, secondsOption, usage } from "./args.js";

/** The per-driver options (they join `--driver`, `--channels`, `--command`, `--address`, `--interval`). */
export const DRIVER_OPTION_FLAGS = {
  driver: { type: "string" },
  channels: { type: "string" },
  command: { type: "string" },
  address: { type: "string" },
  interval: { type: "string" },
  inputs: { type: "string" },
  register: { type: "string" },
  function: { type: "string" },
  type: { type: "string" },
  "word-order": { type: "string" },
  scale: { type: "string" },
} as const;

/** The values `driverOptions()` reads (what parseArgs gives for `DRIVER_OPTION_FLAGS`). */
export type DriverOptionValues = { [K in keyof typeof DRIVER_OPTION_FLAGS]?: string | undefined };

type Flag = "command" | "address" | "inputs" | "register" | "function" | "type" | "word-order" | "scale";

/** Per driver: the flags it takes, with their help. */
const FLAGS: Readonly<Record<string, ReadonlyArray<readonly [Flag, string, string]>>> = {
  lines: [],
  "pfeiffer-tpg26x": [["address", "--address G", "gauge 1–6 (default 1)"]],
  "lakeshore-33x": [["address", "--address A", "input A–D, D1–D5 on a 350 (default A)"]],
  scpi: [["command", "--command QUERY", 'the query that returns one number, e.g. "MEAS:TEMP?" (required)']],
  impac: [["address", "--address NN", "pyrometer address 00–99 (default 00)"]],
  "mks-937b": [
    ["address", "--address N", "controller address 1–254 (default 253)"],
    ["inputs", "--inputs LIST", "gauges 1–6 to read, e.g. 1,3,5 (default 1); channels pressure_<n>"],
  ],
  "agilent-xgs600": [
    ["address", "--address NN", "address, two hex digits (default 00, RS-232)"],
    ["inputs", "--inputs LIST", "positions in its pressure list, e.g. 1,2 (default all); channels pressure_<n>"],
  ],
  "granville-phillips-350": [["inputs", "--inputs LIST", "IG, CG1, CG2 (default IG); channels pressure_<gauge>"]],
  "inficon-sqm160": [
    ["address", "--address S", "sensor 1–6, or a list such as 1,2 (default 1)"],
    ["inputs", "--inputs LIST", "rate, thickness, frequency, crystal_life (default all); channels <quantity>_<sensor>"],
  ],
  "sycon-stm100": [["inputs", "--inputs LIST", "thickness, rate (default both)"]],
  "eurotherm-bisynch": [
    ["address", "--address NN", "controller address, two digits (default 01)"],
    ["inputs", "--inputs LIST", "mnemonics to read (default PV,SL,OP); one channel each, named for it"],
  ],
  "modbus-rtu": [
    ["address", "--address N", "slave address 1–247 (default 1)"],
    ["register", "--register LIST", "register(s) to read, decimal or 0x hex, e.g. 0x1000 (required)"],
    ["function", "--function 3|4", "3 read holding registers, 4 read input registers (default 3)"],
    ["type", "--type T", `${MODBUS_DATA_TYPES.join(", ")} (default int16)`],
    ["word-order", "--word-order O", "32-bit types: big (high word first) or little (default big)"],
    ["scale", "--scale X", "the reading is the register value times X, e.g. 0.1 (default 1)"],
  ],
};

/** Drivers that read one value (their --channels names one channel). */
const ONE_CHANNEL: ReadonlySet<string> = new Set(["pfeiffer-tpg26x", "lakeshore-33x", "scpi", "impac"]);

const FLAG_OF_CODE: Readonly<Record<string, string>> = {
  "missing-command": "--command",
  "bad-address": "--address",
  "bad-input": "--inputs",
  "bad-channels": "--channels",
  "missing-register": "--register",
  "bad-register": "--register",
  "bad-function": "--function",
  "bad-type": "--type",
  "bad-word-order": "--word-order",
  "bad-scale": "--scale",
};

const OPTION_NAME: Readonly<Record<string, string>> = {
  "options.command": "--command",
  "options.address": "--address",
  "options.inputs": "--inputs",
  "options.registers": "--register",
  "options.functionCode": "--function",
  "options.dataType": "--type",
  "options.wordOrder": "--word-order",
  "options.scale": "--scale",
};

function serialText(driver: InstrumentDriver): string {
  const s = driver.serial;
  return `${s.baudRate} ${s.dataBits ?? 8}${(s.parity ?? "none")[0]!.toUpperCase()}${s.stopBits ?? 1}`;
}

/** The help's driver section: each driver, its serial defaults and its own options. */
export function driverOptionsHelp(): string[] {
  const lines = ["Drivers (--driver ID; serial defaults, which --baud, --data-bits, --parity, --stop-bits change):"];
  for (const driver of Object.values(DRIVERS)) {
    const flags = FLAGS[driver.id] ?? [];
    lines.push(`  ${driver.id.padEnd(24)}${serialText(driver).padEnd(11)}${driver.label}${driver.kind === "polled" ? " (polled)" : ""}`);
    for (const [, flag, text] of flags) lines.push(`${" ".repeat(28)}${flag.padEnd(17)}${text}`);
  }
  return lines;
}

/** A register: decimal or 0x hex, 0–65535. */
function parseRegister(command: string, raw: string): number {
  const text = raw.trim();
  const n = /^0x[0-9a-f]{1,4}$/i.test(text) ? Number.parseInt(text.slice(2), 16) : /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 0 && n <= 0xffff)) throw usage(command, `--register takes register numbers from 0 to 65535, decimal or 0x hex (e.g. 4096 or 0x1000), got ${JSON.stringify(raw)}.`);
  return n;
}

function list(raw: string): string[] {
  return raw.split(",").map((s) => s.trim());
}

/**
 * The driver's options from the command line: each flag checked against the driver (a flag it does not
 * take is a usage error naming the drivers that do), parsed, then the driver's own checks run on an idle
 * input — so a bad address or register is a usage error before any stream is created.
 */
export function driverOptions(command: string, values: DriverOptionValues, driver: InstrumentDriver, named: { channels: string[] | undefined; units: Record<string, string> }): DriverOptions {
  const takes = new Set((FLAGS[driver.id] ?? []).map(([flag]) => flag));
  for (const flag of ["command", "address", "inputs", "register", "function", "type", "word-order", "scale"] as const) {
    if (values[flag] === undefined || takes.has(flag)) continue;
    const takers = Object.keys(FLAGS).filter((id) => FLAGS[id]!.some(([f]) => f === flag));
    throw usage(command, `--${flag} applies to --driver ${takers.join(", ")}, not ${driver.id}.`);
  }
  if (values.interval !== undefined && driver.kind !== "polled") throw usage(command, `--interval applies to the polled drivers, not ${driver.id}.`);
  if (named.channels && named.channels.length > 1 && ONE_CHANNEL.has(driver.id)) {
    throw usage(command, `--driver ${driver.id} reads one channel; --channels names ${named.channels.length}.`);
  }
  for (const flag of ["address", "inputs", "command"] as const) {
    if (values[flag] !== undefined && values[flag]!.trim() === "") throw usage(command, `--${flag} needs a value.`);
  }

  const options: DriverOptions = {
    ...(named.channels ? { channels: named.channels } : {}),
    units: named.units,
    ...(values.command !== undefined ? { command: values.command } : {}),
    ...(values.address !== undefined ? { address: values.address.trim() } : {}),
    ...(values.interval !== undefined ? { intervalMs: secondsOption(command, "--interval", values.interval, 0, 0, 86_400, true) * 1000 } : {}),
    ...(values.inputs !== undefined ? { inputs: list(values.inputs) } : {}),
  };
  if (driver.id === "modbus-rtu") {
    if (values.register === undefined) throw usage(command, "--driver modbus-rtu needs --register N (decimal or 0x hex, e.g. 0x1000): the register to read.");
    options.registers = list(values.register).map((r) => parseRegister(command, r));
    options.functionCode = Number(choiceOption(command, "--function", values.function, ["3", "4"] as const, "3")) as 3 | 4;
    options.dataType = choiceOption(command, "--type", values.type, MODBUS_DATA_TYPES, "int16" as ModbusDataType);
    options.wordOrder = choiceOption(command, "--word-order", values["word-order"], ["big", "little"] as const, "big");
    if (values.scale !== undefined) {
      const scale = Number(values.scale.trim());
      if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(values.scale.trim()) || !Number.isFinite(scale) || scale === 0) {
        throw usage(command, `--scale takes a number other than 0 (e.g. 0.1), got ${JSON.stringify(values.scale)}.`);
      }
      options.scale = scale;
    }
  }

  const idle: InstrumentIO = { read: async () => undefined, write: async () => {}, flushInput() {}, ended: true };
  try {
    void driver.readings(idle, options).cancel().catch(() => {});
  } catch (error) {
    if (error instanceof DriverConfigError) {
      const flag = FLAG_OF_CODE[error.code] ?? "--driver";
      const message = error.message.replace(/;? ?set options\.\w+\.?$/, ".").replace(/options\.\w+/g, (name) => OPTION_NAME[name] ?? name);
      throw usage(command, `${flag}: ${message}`);
    }
    throw error;
  }
  return options;
}
