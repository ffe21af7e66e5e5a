/**
 * `granville-phillips-350`: `DS IG` → `2.05E-09` CR LF (`(2 + 0.05·(n mod 20))·1e-9` Torr), `DS CG1` →
 * `(7.6 − 0.1·(n mod 10))·1e2`, `DS CG2` → `(1 + 0.1·(n mod 10))·1e-3`; other commands `INVALID`.
 * `statusOf` answers `9.90E+09` (gauge off) or other text instead.
 */
import { lineProtocol, measurements, scientific, type Protocol } from "./device.js";
import type { SimulatorOptions } from "./types.js";

const DEFAULTS: ReadonlyMap<string, (n: number) => number> = new Map([
  ["IG", (n: number) => (2 + 0.05 * (n % 20)) * 1e-9],
  ["CG1", (n: number) => (7.6 - 0.1 * (n % 10)) * 1e2],
  ["CG2", (n: number) => (1 + 0.1 * (n % 10)) * 1e-3],
]);

export function granvillePhillips350Protocol(options: SimulatorOptions): Protocol {
  const count = measurements(options);
  return lineProtocol((command) => {
    const m = /^DS\s+(IG|CG1|CG2)$/i.exec(command.trim());
    if (!m) return { reply: "INVALID\r\n" };
    const k = count.next();
    if (k === undefined) return undefined;
    const gauge = m[1]!.toUpperCase();
    const channel = `pressure_${gauge}`;
    const status = options.statusOf?.(k, channel);
    const text = status ?? scientific(options.value?.(k, channel) ?? DEFAULTS.get(gauge)!(k), 2);
    return { reply: `${text}\r\n`, produced: status === undefined ? { channel, value: Number(text) } : undefined, measurement: true };
  });
}
