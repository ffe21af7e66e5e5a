/**
 * `mks-937b`: `@253PR<g>?;FF` → `@253ACK1.25E-06;FF` (its address, or the broadcast 254), other
 * commands `@253NAK160;FF`; gauge g reads `(1 + 0.25·(n mod 9))·10^-(4+g)` Torr (2 decimals).
 * `statusOf` answers `LO`, `OFF`, `>1.00E+03` … instead.
 */
import { encoder, measurements, scientific, type Protocol } from "./device.js";
import type { SimulatorOptions } from "./types.js";

const TERMINATOR = encoder.encode(";FF");

/** Commands ended by `;FF`. */
function delimited(): (bytes: Uint8Array) => Uint8Array[] {
  let partial: number[] = [];
  return (bytes) => {
    const out: Uint8Array[] = [];
    for (const b of bytes) {
      partial.push(b);
      const n = partial.length;
      if (n >= 3 && partial[n - 3] === TERMINATOR[0] && partial[n - 2] === TERMINATOR[1] && partial[n - 1] === TERMINATOR[2]) {
        out.push(Uint8Array.from(partial.slice(0, n - 3)));
        partial = [];
      } else if (n > 256) partial = [];
    }
    return out;
  };
}

export function mks937bProtocol(options: SimulatorOptions): Protocol {
  const count = measurements(options);
  const address = (options.address ?? "253").padStart(3, "0");
  const decoder = new TextDecoder();
  return {
    commands: delimited(),
    respond(bytes) {
      const m = /^@(\d{3})(.*)$/.exec(decoder.decode(bytes));
      if (!m || (m[1] !== address && m[1] !== "254")) return undefined;
      const pr = /^PR([1-6])\?$/.exec(m[2]!);
      if (!pr) return { reply: `@${address}NAK160;FF` };
      const k = count.next();
      if (k === undefined) return undefined;
      const gauge = Number(pr[1]);
      const channel = `pressure_${gauge}`;
      const status = options.statusOf?.(k, channel);
      const text = status ?? scientific(options.value?.(k, channel) ?? (1 + 0.25 * (k % 9)) * 10 ** -(4 + gauge), 2);
      return { reply: `@${address}ACK${text};FF`, produced: status === undefined ? { channel, value: Number(text) } : undefined, measurement: true };
    },
  };
}
