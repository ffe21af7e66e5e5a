/**
 * Driver-specific fields: shown only for the drivers that use them, read into the driver's options (and the
 * simulator's, for a simulated instrument). A driver not listed has none: drivers added later appear in the
 * Driver list by themselves, with the common serial settings.
 */
import type { DriverOptions } from "atomscale-stream/serial";

export const MODBUS_TYPES = ["int16", "uint16", "int32", "uint32", "float32"] as const;

/** Options some drivers take beyond the common ones (the Modbus and multi-input drivers). */
export interface ExtraDriverOptions {
  inputs?: string[];
  registers?: number[];
  functionCode?: 3 | 4;
  dataType?: (typeof MODBUS_TYPES)[number];
  wordOrder?: "big" | "little";
  scale?: number;
}

export type PageDriverOptions = Pick<DriverOptions, "command" | "address"> & ExtraDriverOptions;

export interface DriverField {
  /** The option it sets. */
  option: keyof PageDriverOptions;
  label: string;
  placeholder: string;
  /** Filled in when the driver is chosen (the driver's own default otherwise). */
  initial?: string;
  /** A select with these values instead of a text field. */
  choices?: readonly string[];
}

const list = (label: string, placeholder: string): DriverField => ({ option: "inputs", label, placeholder });

export const DRIVER_FIELDS: Readonly<Record<string, readonly DriverField[]>> = {
  scpi: [{ option: "command", label: "Command (SCPI)", placeholder: "MEAS:TEMP?", initial: "MEAS:TEMP?" }],
  impac: [{ option: "address", label: "Address (two digits)", placeholder: "00" }],
  "pfeiffer-tpg26x": [{ option: "address", label: "Gauge (1–6)", placeholder: "1" }],
  "lakeshore-33x": [{ option: "address", label: "Input (A–D)", placeholder: "A" }],
  "mks-937b": [{ option: "address", label: "Controller address", placeholder: "253" }, list("Gauges (1–6)", "1, 2")],
  "agilent-xgs600": [{ option: "address", label: "Controller address", placeholder: "00" }, list("Positions", "all")],
  "granville-phillips-350": [list("Gauges (IG, CG1, CG2)", "IG")],
  "inficon-sqm160": [{ option: "address", label: "Sensor(s)", placeholder: "1" }, list("Values", "rate, thickness, frequency, crystal_life")],
  "sycon-stm100": [list("Values", "thickness, rate")],
  "eurotherm-bisynch": [{ option: "address", label: "Controller address", placeholder: "01" }, list("Parameters", "PV, SL, OP")],
  "modbus-rtu": [
    { option: "address", label: "Slave address", placeholder: "1" },
    { option: "registers", label: "Registers", placeholder: "0x1000, 0x1001", initial: "0x1000" },
    { option: "functionCode", label: "Function", placeholder: "", choices: ["3", "4"] },
    { option: "dataType", label: "Data type", placeholder: "", choices: MODBUS_TYPES },
    { option: "wordOrder", label: "Word order", placeholder: "", choices: ["big", "little"] },
    { option: "scale", label: "Scale", placeholder: "1" },
  ],
};

export function fieldsFor(driverId: string): readonly DriverField[] {
  return Object.hasOwn(DRIVER_FIELDS, driverId) ? DRIVER_FIELDS[driverId]! : [];
}

/** The fields' texts as the driver's options; an empty field is left to the driver's default. */
export function driverOptions(driverId: string, texts: Readonly<Record<string, string>>): PageDriverOptions {
  const out: PageDriverOptions = {};
  for (const f of fieldsFor(driverId)) {
    const text = (Object.hasOwn(texts, f.option) ? texts[f.option] : undefined)?.trim() ?? "";
    if (text === "") continue;
    const bad = (what: string) => new RangeError(`${f.label}: ${JSON.stringify(text)} ${what}.`);
    switch (f.option) {
      case "command":
      case "address":
        out[f.option] = text;
        break;
      case "inputs":
        out.inputs = text.split(",").map((x) => x.trim()).filter(Boolean);
        break;
      case "registers":
        out.registers = text.split(",").map((x) => x.trim()).filter(Boolean).map((x) => {
          const n = Number(x);
          if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw bad(`is not a list of register numbers (0–65535, decimal or 0x hex, e.g. 0x1000)`);
          return n;
        });
        break;
      case "functionCode":
        if (text !== "3" && text !== "4") throw bad("is not a Modbus read function (3 or 4)");
        out.functionCode = Number(text) as 3 | 4;
        break;
      case "dataType": {
        const type = MODBUS_TYPES.find((t) => t === text);
        if (!type) throw bad(`is not a Modbus data type (${MODBUS_TYPES.join(", ")})`);
        out.dataType = type;
        break;
      }
      case "wordOrder":
        if (text !== "big" && text !== "little") throw bad('is not a word order ("big" or "little")');
        out.wordOrder = text;
        break;
      case "scale": {
        const n = Number(text);
        if (!Number.isFinite(n) || n === 0) throw bad("is not a scale (a number other than 0)");
        out.scale = n;
        break;
      }
    }
  }
  return out;
}
