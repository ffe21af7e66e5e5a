/**
 * IMPAC pyrometers (IGA/ISR; LumaSense, Advanced Energy), reference §4: host `00ms\r` (two-digit
 * address; 99 addresses every unit) → device an integer in tenths of °C, CR-terminated. Values above
 * 77769 mean the target is out of the measuring range.
 *
 * Timestamp: the receipt time of the reply.
 */
import type { DriverOptions, InstrumentDriver, InstrumentIO } from "../driver.js";
import { DriverConfigError } from "../driver-error.js";
import type { Reading } from "../../types.js";
import { pollReadings, visible } from "./polled.js";

/** Replies above this (in tenths of °C) mean out of range. */
export const IMPAC_MAX_TENTHS = 77769;

export const impac: InstrumentDriver = {
  id: "impac",
  label: "IMPAC pyrometer (IGA/ISR)",
  kind: "polled",
  serial: { baudRate: 19200, dataBits: 8, parity: "even", stopBits: 1, flowControl: "none" },
  readings(io: InstrumentIO, options: DriverOptions = {}): ReadableStream<Reading[]> {
    const address = options.address ?? "00";
    if (!/^\d\d$/.test(address)) {
      throw new DriverConfigError(`The IMPAC address must be two digits, 00 to 99 (got ${JSON.stringify(address)}); set options.address.`, "bad-address");
    }
    const channel = options.channels?.[0] ?? "temperature";
    return pollReadings(io, options, async (q) => {
      await q.send(`${address}ms\r`);
      const line = await q.reply();
      if (!line) return [];
      const text = line.text.trim();
      if (!/^\d+$/.test(text)) {
        q.problem("bad-reply", `Expected an integer in tenths of °C from pyrometer ${address}, got ${visible(line.text)}.`, visible(line.text), line.t);
        return [];
      }
      const tenths = Number(text);
      if (tenths > IMPAC_MAX_TENTHS) {
        q.problem("out-of-range", `Pyrometer ${address} is out of its measuring range (reply ${text}); no reading.`, line.text, line.t);
        return [];
      }
      return [{ channel, t: line.t, value: tenths / 10, units: q.units(channel, "C") }];
    });
  },
};
