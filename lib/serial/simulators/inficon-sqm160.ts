/**
 * `inficon-sqm160`: CRC-checked frames; `@` → `MON Ver 4.13`; per sensor s (1–6): `L<s>?` → rate
 * `0.50 + 0.01·(n mod 50)` (2 decimals), `N<s>` → thickness `0.001·n` (3 decimals), `P<s>` → frequency
 * `5875830.230 − 0.5·n` (3 decimals), `R<s>` → crystal life `100 − 0.01·n` (2 decimals). A command with
 * a bad CRC gets no answer. `statusOf` answers that status letter (e.g. `C`) with no data; `corrupt`
 * damages the reply's CRC.
 */
import { sqmCrc } from "../checksums.js";
import { parseSqmReply, sqmFrame, sqmMeasure } from "../instruments/inficon-sqm160.js";
import { bytesOf, latin1, measurements, type Protocol } from "./device.js";
import { corruptLast, framedCommands } from "./framed.js";
import type { SimulatorOptions } from "./types.js";

const QUANTITIES: ReadonlyMap<string, { name: string; value: (n: number) => number; digits: number }> = new Map([
  ["L", { name: "rate", value: (n: number) => 0.5 + 0.01 * (n % 50), digits: 2 }],
  ["N", { name: "thickness", value: (n: number) => 0.001 * n, digits: 3 }],
  ["P", { name: "frequency", value: (n: number) => 5875830.23 - 0.5 * n, digits: 3 }],
  ["R", { name: "crystal_life", value: (n: number) => 100 - 0.01 * n, digits: 2 }],
]);

export function inficonSqm160Protocol(options: SimulatorOptions): Protocol {
  const count = measurements(options);
  return {
    commands: framedCommands("SQM-160 command", sqmMeasure(34)),
    respond(frame) {
      const body = frame.subarray(1, frame.length - 2);
      const crc = sqmCrc(body);
      if (crc[0] !== frame[frame.length - 2] || crc[1] !== frame[frame.length - 1]) return undefined;
      const command = latin1(body.subarray(1));
      const reply = (status: string, data: string) => sqmFrame(bytesOf(status + data), 35);
      if (command === "@") return { reply: reply("A", "MON Ver 4.13") };
      const m = /^([LNPR])([1-6])(\?)?$/.exec(command);
      if (!m || (m[1] === "L") !== (m[3] === "?")) return { reply: reply("C", "") };
      const k = count.next();
      if (k === undefined) return undefined;
      const quantity = QUANTITIES.get(m[1]!)!;
      const channel = `${quantity.name}_${m[2]}`;
      const status = options.statusOf?.(k, channel);
      if (status !== undefined) return { reply: reply(status, ""), measurement: true };
      const text = (options.value?.(k, channel) ?? quantity.value(k)).toFixed(quantity.digits);
      const data = ` ${text} `;
      if (options.corrupt?.(k)) return { reply: corruptLast(reply("A", data)), measurement: true };
      const frameOut = reply("A", data);
      return { reply: frameOut, produced: parseSqmReply(frameOut) ? { channel, value: Number(text) } : undefined, measurement: true };
    },
  };
}
