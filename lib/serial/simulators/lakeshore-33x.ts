/** `lakeshore-33x`: `KRDG? A`…`D` → `+077.350`; `77.35 + 0.01·(n mod 50)` K. Unknown commands get no answer. */
import { lineProtocol, measurements, type Protocol } from "./device.js";
import type { SimulatorOptions } from "./types.js";

export function lakeshore33xProtocol(options: SimulatorOptions): Protocol {
  const count = measurements(options);
  return lineProtocol((command) => {
    const text = command.trim().toUpperCase();
    if (text === "*IDN?") return { reply: "LSCI,MODEL336,SIM0001/#######,2.9\r\n" };
    const m = /^KRDG\?\s*([A-D][1-5]?)$/.exec(text);
    if (!m) return undefined; // a Lake Shore does not answer what it does not know
    const k = count.next();
    if (k === undefined) return undefined;
    const channel = `temperature_${m[1]}`;
    const v = options.value?.(k, channel) ?? 77.35 + 0.01 * (k % 50);
    const digits = `${v < 0 ? "-" : "+"}${Math.abs(v).toFixed(3).padStart(7, "0")}`;
    return { reply: `${digits}\r\n`, produced: { channel, value: Number(digits) }, measurement: true };
  });
}
