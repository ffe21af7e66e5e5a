/** `impac`: `00ms` (its address, or 99) → `05500` (tenths of °C); `550 + 0.1·(n mod 100)` °C. */
import { lineProtocol, measurements, type Protocol } from "./device.js";
import type { SimulatorOptions } from "./types.js";

export function impacProtocol(options: SimulatorOptions): Protocol {
  const count = measurements(options);
  const address = options.address ?? "00";
  return lineProtocol((command) => {
    const m = /^(\d\d)ms$/.exec(command.trim());
    if (!m || (m[1] !== address && m[1] !== "99")) return undefined;
    const k = count.next();
    if (k === undefined) return undefined;
    const tenths = Math.round((options.value?.(k, "temperature") ?? 550 + 0.1 * (k % 100)) * 10);
    const reply = `${String(tenths).padStart(5, "0")}\r`;
    return { reply, produced: tenths <= 77769 ? { channel: "temperature", value: tenths / 10 } : undefined, measurement: true };
  });
}
