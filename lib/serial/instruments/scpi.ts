/**
 * A generic SCPI instrument (reference §4): send `options.command` (e.g. `MEAS:TEMP?`) ending in LF, read
 * one line holding one number. SCPI's 9.9E37 (overload) and 9.91E37 (not a number) are reported as
 * "out-of-range", not recorded.
 *
 * Timestamp: the receipt time of the reply.
 */
import type { DriverOptions, InstrumentDriver, InstrumentIO } from "../driver.js";
import { DriverConfigError } from "../driver-error.js";
import type { Reading } from "../../types.js";
import { parseDecimal, pollReadings, visible } from "./polled.js";

/** SCPI's overload value; 9.91E37 is its not-a-number. */
export const SCPI_OVERLOAD = 9.9e37;

export const scpi: InstrumentDriver = {
  id: "scpi",
  label: "SCPI instrument (one number per query)",
  kind: "polled",
  serial: { baudRate: 9600, dataBits: 8, parity: "none", stopBits: 1, flowControl: "none" },
  readings(io: InstrumentIO, options: DriverOptions = {}): ReadableStream<Reading[]> {
    const command = options.command?.trim();
    if (!command) {
      throw new DriverConfigError(`The SCPI driver needs the query to send: set options.command (e.g. "MEAS:TEMP?").`, "missing-command");
    }
    const channel = options.channels?.[0] ?? "value";
    return pollReadings(io, options, async (q) => {
      await q.send(`${command}\n`);
      const line = await q.reply();
      if (!line) return [];
      const value = parseDecimal(line.text);
      if (value === undefined) {
        q.problem("bad-reply", `Expected one number in reply to ${command}, got ${visible(line.text)}.`, visible(line.text), line.t);
        return [];
      }
      if (Math.abs(value) >= SCPI_OVERLOAD) {
        q.problem("out-of-range", `${command} answered ${line.text.trim()}: SCPI's overload / not-a-number value; no reading.`, line.text, line.t);
        return [];
      }
      return [{ channel, t: line.t, value, units: q.units(channel, "") || undefined }];
    });
  },
};
