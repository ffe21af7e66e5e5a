/**
 * Granville-Phillips 350 ion gauge controller (reference §4): host `DS IG\r\n` → device the pressure,
 * e.g. `1.20E-09\r\n`; `DS CG1` / `DS CG2` read its convection gauges. `9.90E+09` means the gauge is
 * off (no reading); any other text (`INVALID`) is a status. 300 baud, 7 data bits, no parity, 2 stop:
 * about 30 characters a second, so a query and its reply take most of a second — the reply timeout
 * defaults to 3 s (`options.timeoutMs`), and a quiet line after a problem means 150 ms of silence.
 *
 * Timestamp: the receipt time of the reply.
 */
import type { DriverOptions, InstrumentDriver, InstrumentIO } from "../driver.js";
import type { Reading } from "../../types.js";
import { inputChannels } from "./inputs.js";
import { parseDecimal, pollReadings, visible } from "./polled.js";

/** At 300 baud: a reply timeout of 3 s, and 150 ms (several character times) of silence for a quiet line. */
export const GP350_TUNING = { timeoutMs: 3000, quietMs: 150 } as const;

/** What the 350 answers for a gauge that is off. */
export const GP350_OFF = 9.9e9;

export const granvillePhillips350: InstrumentDriver = {
  id: "granville-phillips-350",
  label: "Granville-Phillips 350 ion gauge controller",
  kind: "polled",
  serial: { baudRate: 300, dataBits: 7, parity: "none", stopBits: 2, flowControl: "none" },
  readings(io: InstrumentIO, options: DriverOptions = {}): ReadableStream<Reading[]> {
    const plan = inputChannels(options, {
      what: "gauge",
      defaults: ["IG"],
      candidates: ["IG", "CG1", "CG2"],
      normalize: (s) => (/^(IG|CG1|CG2)$/i.test(s) ? s.toUpperCase() : undefined),
      allowed: "IG, CG1 or CG2",
      name: (g) => `pressure_${g}`,
    });
    return pollReadings(io, options, async (q) => {
      const out: Reading[] = [];
      for (const { input, channel } of plan) {
        await q.send(`DS ${input}\r\n`);
        const line = await q.reply();
        if (!line) continue;
        const value = parseDecimal(line.text);
        if (value === undefined) {
          q.problem("status", `Gauge ${input} answered ${visible(line.text.trim())} instead of a pressure; no reading.`, visible(line.text), line.t);
        } else if (value >= GP350_OFF) {
          q.problem("status", `Gauge ${input} is off (it answered ${line.text.trim()}); no reading.`, line.text.trim(), line.t);
        } else out.push({ channel, t: line.t, value, units: q.units(channel, "Torr") });
      }
      return out;
    }, GP350_TUNING);
  },
};
