/**
 * Lake Shore 331/335/336/340/350 temperature controllers (reference §4): host `KRDG? A\n` → device
 * `+077.350\r\n`, the input's temperature in kelvin. 336: 57600 baud, 7 data bits, odd parity.
 *
 * Timestamp: the receipt time of the reply.
 */
import type { DriverOptions, InstrumentDriver, InstrumentIO } from "../driver.js";
import { DriverConfigError } from "../driver-error.js";
import type { Reading } from "../../types.js";
import { parseDecimal, pollReadings, visible } from "./polled.js";

export const lakeshore33x: InstrumentDriver = {
  id: "lakeshore-33x",
  label: "Lake Shore 33x/350 temperature controller",
  kind: "polled",
  serial: { baudRate: 57600, dataBits: 7, parity: "odd", stopBits: 1, flowControl: "none" },
  readings(io: InstrumentIO, options: DriverOptions = {}): ReadableStream<Reading[]> {
    const input = (options.address ?? "A").toUpperCase();
    if (!/^[A-D](?:[1-5])?$/.test(input)) {
      throw new DriverConfigError(`The Lake Shore input must be A, B, C or D (or D1–D5 on a 350), got ${JSON.stringify(options.address)}; set options.address.`, "bad-address");
    }
    const channel = options.channels?.[0] ?? `temperature_${input}`;
    const query = `KRDG? ${input}\n`;
    return pollReadings(io, options, async (q) => {
      await q.send(query);
      const line = await q.reply();
      if (!line) return [];
      const value = parseDecimal(line.text);
      if (value === undefined) {
        q.problem("bad-reply", `Expected a temperature in kelvin (e.g. +077.350) for input ${input}, got ${visible(line.text)}.`, visible(line.text), line.t);
        return [];
      }
      return [{ channel, t: line.t, value, units: q.units(channel, "K") }];
    });
  },
};
