/**
 * Agilent (Varian) XGS-600 gauge controller (reference §4): host `#000F\r` (`#`, the two-digit address —
 * `00` on RS-232 — and command `0F`, read all pressures) → device `>1.000E-09,OPEN,2.300E-02\r`, one
 * entry per installed gauge, in front-panel order. An entry that is not a number (`OPEN`, `NOCBL`, an
 * emission that is off) is a status, never a reading; `?FF` is the controller refusing the command.
 *
 * Timestamp: the receipt time of the reply (every gauge of one reply shares it).
 */
import type { DriverOptions, InstrumentDriver, InstrumentIO } from "../driver.js";
import { DriverConfigError } from "../driver-error.js";
import type { Reading } from "../../types.js";
import { inputChannels } from "./inputs.js";
import { parseDecimal, pollReadings, visible } from "./polled.js";

/** The most gauge entries an XGS-600 reports (six boards of up to two gauges). */
const MAX_GAUGES = 12;
const POSITIONS = Array.from({ length: MAX_GAUGES }, (_, i) => String(i + 1));

export const agilentXgs600: InstrumentDriver = {
  id: "agilent-xgs600",
  label: "Agilent XGS-600 gauge controller",
  kind: "polled",
  serial: { baudRate: 9600, dataBits: 8, parity: "none", stopBits: 1, flowControl: "none" },
  readings(io: InstrumentIO, options: DriverOptions = {}): ReadableStream<Reading[]> {
    const address = options.address ?? "00";
    if (!/^[0-9A-Fa-f]{2}$/.test(address)) {
      throw new DriverConfigError(`The XGS-600 address must be two hex digits, 00 on RS-232 (got ${JSON.stringify(address)}); set options.address.`, "bad-address");
    }
    const all = options.inputs === undefined && options.channels === undefined;
    const plan = all
      ? []
      : inputChannels(options, {
          what: "gauge position",
          defaults: POSITIONS,
          normalize: (s) => (/^\d+$/.test(s) && Number(s) >= 1 && Number(s) <= MAX_GAUGES ? String(Number(s)) : undefined),
          allowed: `1 to ${MAX_GAUGES} (the order of the gauges in the controller's pressure list)`,
          name: (p) => `pressure_${p}`,
        });
    const query = `#${address.toUpperCase()}0F\r`;
    return pollReadings(io, options, async (q) => {
      await q.send(query);
      const line = await q.reply();
      if (!line) return [];
      const text = line.text.trim();
      if (!text.startsWith(">")) {
        const refused = text.startsWith("?");
        q.problem(refused ? "refused" : "bad-reply", refused ? `The XGS-600 refused ${visible(query)} (${text}): is the address right?` : `Expected ">" and the pressures from the XGS-600, got ${visible(text)}.`, visible(line.text), line.t);
        return [];
      }
      const entries = text.slice(1).split(",").map((e) => e.trim());
      const wanted = all ? entries.map((_, i) => ({ input: String(i + 1), channel: `pressure_${i + 1}` })) : plan;
      const out: Reading[] = [];
      for (const { input, channel } of wanted) {
        const entry = entries[Number(input) - 1];
        if (entry === undefined) {
          q.problem("missing", `The XGS-600 reported ${entries.length} gauges; there is no gauge ${input}.`, text, line.t);
          continue;
        }
        const value = parseDecimal(entry);
        if (value === undefined) q.problem("status", `Gauge ${input}: ${entry}; no reading.`, entry, line.t);
        else out.push({ channel, t: line.t, value, units: q.units(channel, "Torr") });
      }
      return out;
    });
  },
};
