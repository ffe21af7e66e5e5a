/**
 * Pfeiffer TPG 261/262 (and the same mnemonics on TPG 256A, 36x): a two-step query (reference §4).
 * Host `PR1\r\n` → device `ACK\r\n` (or `NAK\r\n`: refused) → host `ENQ` → device `0,1.2300E-05\r\n`,
 * i.e. `status,value`. Status 0 is a measurement; 1–6 say why there is none.
 *
 * Timestamp: the receipt time of the `status,value` reply (the chunk that brought its terminator).
 */
import type { DriverOptions, InstrumentDriver, InstrumentIO } from "../driver.js";
import { DriverConfigError } from "../driver-error.js";
import type { Reading } from "../../types.js";
import { parseDecimal, pollReadings, visible } from "./polled.js";

export const ACK = "\x06";
export const NAK = "\x15";
export const ENQ = "\x05";

/** What a status other than 0 means. */
export const PFEIFFER_STATUS: Readonly<Record<number, string>> = {
  1: "underrange",
  2: "overrange",
  3: "sensor error",
  4: "sensor off",
  5: "no sensor",
  6: "identification error",
};

/** A `status,value` reply: `{ status, value }`, or undefined if it is not one. */
export function parsePfeifferReply(text: string): { status: number; value: number } | undefined {
  const m = /^\s*([0-9]),\s*(\S+)\s*$/.exec(text);
  if (!m) return undefined;
  const value = parseDecimal(m[2]!);
  if (value === undefined) return undefined;
  return { status: Number(m[1]), value };
}

export const pfeifferTpg26x: InstrumentDriver = {
  id: "pfeiffer-tpg26x",
  label: "Pfeiffer TPG 261/262 gauge controller",
  kind: "polled",
  serial: { baudRate: 9600, dataBits: 8, parity: "none", stopBits: 1, flowControl: "none" },
  readings(io: InstrumentIO, options: DriverOptions = {}): ReadableStream<Reading[]> {
    const gauge = options.address ?? "1";
    if (!/^[1-6]$/.test(gauge)) {
      throw new DriverConfigError(`The Pfeiffer gauge must be a number from 1 to 6 (got ${JSON.stringify(gauge)}); set options.address.`, "bad-address");
    }
    const channel = options.channels?.[0] ?? "pressure";
    const query = `PR${gauge}\r\n`;
    return pollReadings(io, options, async (q) => {
      await q.send(query);
      const ack = await q.reply();
      if (!ack) return [];
      if (ack.text === NAK) {
        q.problem("nak", `The gauge controller refused PR${gauge} (NAK): is gauge ${gauge} connected, and is this a TPG 26x?`, visible(ack.text), ack.t);
        return [];
      }
      if (ack.text !== ACK) {
        q.problem("bad-reply", `Expected ACK or NAK after PR${gauge}, got ${visible(ack.text)}.`, visible(ack.text), ack.t);
        return [];
      }
      await q.send(ENQ);
      const line = await q.reply();
      if (!line) return [];
      const reply = parsePfeifferReply(line.text);
      if (!reply) {
        q.problem("bad-reply", `Expected "status,value" (e.g. 0,1.2300E-05) from gauge ${gauge}, got ${visible(line.text)}.`, visible(line.text), line.t);
        return [];
      }
      if (reply.status !== 0) {
        const meaning = PFEIFFER_STATUS[reply.status] ?? "unknown status";
        q.problem("status", `Gauge ${gauge}: ${meaning} (status ${reply.status}); no reading.`, line.text, line.t);
        return [];
      }
      return [{ channel, t: line.t, value: reply.value, units: q.units(channel, "mbar") }];
    });
  },
};
