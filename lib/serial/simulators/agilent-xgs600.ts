/**
 * `agilent-xgs600`: `#000F` CR → `>1.000E-09,1.000E-07,1.000E-05` CR (`gauges` entries, default 3; gauge
 * i reads `(1 + 0.1·(n mod 10))·10^(2i-11)` Torr, 3 decimals); other commands `?FF`. `statusOf` replaces
 * an entry (`OPEN`, `NOCBL`).
 */
import { lineProtocol, measurements, scientific, type Protocol } from "./device.js";
import type { ProducedValue, SimulatorOptions } from "./types.js";

export function agilentXgs600Protocol(options: SimulatorOptions): Protocol {
  const count = measurements(options);
  const address = (options.address ?? "00").toUpperCase();
  const gauges = options.gauges ?? 3;
  return lineProtocol((command) => {
    const m = /^#([0-9A-F]{2})(.*)$/i.exec(command.trim());
    if (!m || m[1]!.toUpperCase() !== address) return undefined;
    if (m[2]!.toUpperCase() !== "0F") return { reply: "?FF\r" };
    const k = count.next();
    if (k === undefined) return undefined;
    const produced: ProducedValue[] = [];
    const entries = Array.from({ length: gauges }, (_, i) => {
      const channel = `pressure_${i + 1}`;
      const status = options.statusOf?.(k, channel);
      if (status !== undefined) return status;
      const text = scientific(options.value?.(k, channel) ?? (1 + 0.1 * (k % 10)) * 10 ** (2 * (i + 1) - 11), 3);
      produced.push({ channel, value: Number(text) });
      return text;
    });
    return { reply: `>${entries.join(",")}\r`, produced, measurement: true };
  });
}
