/**
 * `modbus-rtu`: a slave (address 1 unless `address`) that answers function 3 and 4 reads of any
 * register with `dataType` values (`wordOrder` for 32-bit ones), stored as value / `scale`: register r
 * reads `250 + (n mod 100)` (float32: `23.5 + 0.25·(n mod 10)`). Requests with a bad CRC or for another
 * slave get no answer. `statusOf` answers that exception code; `corrupt` damages the CRC. `produced`
 * names register r `register_<r>`.
 */
import { crcOk, registersOf, scaled, withCrc, decodeRegisters } from "../instruments/modbus-rtu.js";
import { measurements, type Protocol } from "./device.js";
import { corruptLast, framedCommands } from "./framed.js";
import type { SimulatorOptions } from "./types.js";

export function modbusRtuProtocol(options: SimulatorOptions): Protocol {
  const count = measurements(options);
  const slave = Number(options.address ?? "1");
  const type = options.dataType ?? "int16";
  const wordOrder = options.wordOrder ?? "big";
  const scale = options.scale ?? 1;
  return {
    commands: framedCommands("Modbus request", (bytes) => (bytes[0] === slave ? 8 : "skip")),
    respond(frame) {
      if (!crcOk(frame)) return undefined;
      const fn = frame[1]!;
      if (fn !== 3 && fn !== 4) return { reply: withCrc(Uint8Array.of(slave, fn | 0x80, 1)) };
      const register = (frame[2]! << 8) | frame[3]!;
      const n = (frame[4]! << 8) | frame[5]!;
      if (n !== registersOf(type)) return { reply: withCrc(Uint8Array.of(slave, fn | 0x80, 2)) };
      const k = count.next();
      if (k === undefined) return undefined;
      const channel = `register_${register}`;
      const status = options.statusOf?.(k, channel);
      if (status !== undefined) return { reply: withCrc(Uint8Array.of(slave, fn | 0x80, Number(status))), measurement: true };
      const v = options.value?.(k, channel) ?? (type === "float32" ? 23.5 + 0.25 * (k % 10) : 250 + (k % 100));
      const view = new DataView(new ArrayBuffer(4));
      if (type === "float32") view.setFloat32(0, v / scale);
      else if (type === "int32" || type === "uint32") view.setUint32(0, Math.round(v / scale) >>> 0);
      else view.setUint16(0, Math.round(v / scale) & 0xffff);
      let words = n === 1 ? [view.getUint16(0)] : [view.getUint16(0), view.getUint16(2)];
      if (n === 2 && wordOrder === "little") words = [words[1]!, words[0]!];
      const data = words.flatMap((w) => [w >> 8, w & 0xff]);
      const reply = withCrc(Uint8Array.of(slave, fn, 2 * n, ...data));
      if (options.corrupt?.(k)) return { reply: corruptLast(reply), measurement: true };
      return { reply, produced: { channel, value: scaled(decodeRegisters(words, type, wordOrder), scale) }, measurement: true };
    },
  };
}
