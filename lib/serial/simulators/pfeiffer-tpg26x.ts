/** `pfeiffer-tpg26x`: `PR1`/`PR2` → ACK, ENQ → `0,1.3700E-06` (other commands: NAK); `(1 + 0.37·(n mod 7))·1e-6` mbar. */
import { lineProtocol, measurements, scientific, type Answer, type Protocol } from "./device.js";
import type { SimulatorOptions } from "./types.js";

export function pfeifferTpg26xProtocol(options: SimulatorOptions): Protocol {
  const count = measurements(options);
  let data: Answer | undefined; // what the next ENQ gets
  return lineProtocol((command) => {
    const text = command.trim().toUpperCase();
    if (command === "\x05") return data ?? { reply: "\x15\r\n" };
    const pr = /^PR([1-2])$/.exec(text);
    if (pr) {
      const k = count.next();
      if (k === undefined) return undefined;
      const status = options.status?.(k) ?? 0;
      const digits = scientific(options.value?.(k, "pressure") ?? (1 + 0.37 * (k % 7)) * 1e-6, 4);
      data = { reply: `${status},${digits}\r\n`, produced: status === 0 ? { channel: "pressure", value: Number(digits) } : undefined, measurement: true };
      return { reply: "\x06\r\n" };
    }
    if (text === "UNI") data = { reply: "0\r\n" };
    else if (text === "TID") data = { reply: "PKR,IKR9\r\n" };
    else return { reply: "\x15\r\n" };
    return { reply: "\x06\r\n" };
  }, true);
}
