/** `scpi`: `options.command` (default: any query ending in `?`) → `+2.345600E+01`; `23.456 + 0.001·(n mod 100)`. */
import { lineProtocol, measurements, scientific, type Protocol } from "./device.js";
import type { SimulatorOptions } from "./types.js";

export function scpiProtocol(options: SimulatorOptions): Protocol {
  const count = measurements(options);
  return lineProtocol((command) => {
    const text = command.trim();
    if (text.toUpperCase() === "*IDN?") return { reply: "ATOMSCALE,SIMULATED-SCPI,0,1.0\n" };
    const matches = options.command ? text.toUpperCase() === options.command.trim().toUpperCase() : text.endsWith("?");
    if (!matches) return undefined;
    const k = count.next();
    if (k === undefined) return undefined;
    const digits = scientific(options.value?.(k, "value") ?? 23.456 + 0.001 * (k % 100), 6, true);
    return { reply: `${digits}\n`, produced: { channel: "value", value: Number(digits) }, measurement: true };
  });
}
