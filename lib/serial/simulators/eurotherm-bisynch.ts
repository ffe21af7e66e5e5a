/**
 * `eurotherm-bisynch`: polls `EOT G G U U C1 C2 ENQ` for its address (default 01) → `STX C1 C2 data ETX BCC`:
 * `PV` `600 + 0.1·(n mod 100)` (1 decimal), `SL` `600.0`, `OP` `35 + 0.5·(n mod 20)` (1 decimal); any
 * other mnemonic → EOT. `statusOf` sends its text as the data; `corrupt` damages the BCC.
 */
import { bisynchReply, EOT, ENQ } from "../instruments/eurotherm-bisynch.js";
import { latin1, measurements, type Protocol } from "./device.js";
import { corruptLast, framedCommands } from "./framed.js";
import type { SimulatorOptions } from "./types.js";

const VALUES: ReadonlyMap<string, (n: number) => number> = new Map([
  ["PV", (n: number) => 600 + 0.1 * (n % 100)],
  ["SL", () => 600],
  ["OP", (n: number) => 35 + 0.5 * (n % 20)],
]);

export function eurothermBisynchProtocol(options: SimulatorOptions): Protocol {
  const count = measurements(options);
  const address = options.address ?? "01";
  return {
    commands: framedCommands("EI-Bisynch poll", (bytes) => {
      if (bytes[0] !== EOT) return "skip";
      if (bytes.length < 8) return "more";
      return bytes[7] === ENQ ? 8 : "skip";
    }),
    respond(frame) {
      const text = latin1(frame);
      const [g, u] = address;
      if (text.slice(1, 5) !== `${g}${g}${u}${u}`) return undefined;
      const mnemonic = text.slice(5, 7);
      const value = VALUES.get(mnemonic);
      if (!value) return { reply: Uint8Array.of(EOT) };
      const k = count.next();
      if (k === undefined) return undefined;
      const status = options.statusOf?.(k, mnemonic);
      if (status !== undefined) return { reply: bisynchReply(mnemonic, status), measurement: true };
      const data = (options.value?.(k, mnemonic) ?? value(k)).toFixed(1);
      const reply = bisynchReply(mnemonic, data);
      if (options.corrupt?.(k)) return { reply: corruptLast(reply), measurement: true };
      return { reply, produced: { channel: mnemonic, value: Number(data) }, measurement: true };
    },
  };
}
