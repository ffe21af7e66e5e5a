/**
 * Any Modbus RTU device — Eurotherm, Omega CN7800 (PV at register 0x1000, tenths of °C), Watlow, PLCs
 * (reference §4). Per register (`options.registers`), one request `slave fn regHi regLo 0 n crcLo crcHi`
 * (function 3, read holding registers, or 4, read input registers; n = 1 for 16-bit types, 2 for 32-bit)
 * → reply `slave fn count data… crcLo crcHi`, or the exception `slave fn|0x80 code crcLo crcHi`. Replies
 * are framed by their expected length (known from the first three bytes), not by a delimiter; a silence
 * longer than `silenceMs` inside a frame drops it (RTU's inter-frame gap). A bad CRC, an exception, a
 * reply from another slave or of the wrong size is a problem, never a reading. The value is the
 * register(s) read as `dataType` (32-bit types: `wordOrder` "big" = high word first) times `scale`.
 *
 * Timestamp: the receipt time of each reply.
 */
import type { DriverOptions, DriverProblem, InstrumentDriver, InstrumentIO, ModbusDataType } from "../driver.js";
import { DriverConfigError } from "../driver-error.js";
import { hex, modbusCrc } from "../checksums.js";
import { EnvelopeFramer, type FrameMeasure } from "../envelope-framer.js";
import type { Reading } from "../../types.js";
import { pollFrames } from "./polled.js";

export const MODBUS_DATA_TYPES: readonly ModbusDataType[] = ["int16", "uint16", "int32", "uint32", "float32"];

/** What the standard exception codes mean. */
export const MODBUS_EXCEPTIONS: ReadonlyMap<number, string> = new Map([
  [1, "illegal function"],
  [2, "illegal data address"],
  [3, "illegal data value"],
  [4, "slave device failure"],
  [5, "acknowledge (busy with a long command)"],
  [6, "slave device busy"],
  [8, "memory parity error"],
  [10, "gateway path unavailable"],
  [11, "gateway target device failed to respond"],
]);

/** Registers a value of this type takes. */
export const registersOf = (type: ModbusDataType) => (type === "int16" || type === "uint16" ? 1 : 2);

/** `bytes` + their CRC (low byte first). */
export function withCrc(bytes: Uint8Array): Uint8Array {
  const crc = modbusCrc(bytes);
  const frame = new Uint8Array(bytes.length + 2);
  frame.set(bytes);
  frame[bytes.length] = crc & 0xff;
  frame[bytes.length + 1] = crc >> 8;
  return frame;
}

/** True when the last two bytes are the CRC of the rest. */
export function crcOk(frame: Uint8Array): boolean {
  if (frame.length < 4) return false;
  const crc = modbusCrc(frame.subarray(0, frame.length - 2));
  return frame[frame.length - 2] === (crc & 0xff) && frame[frame.length - 1] === crc >> 8;
}

/** A read request: slave, function, first register, register count, CRC. */
export function modbusRequest(slave: number, fn: 3 | 4, register: number, count: number): Uint8Array {
  return withCrc(Uint8Array.of(slave, fn, register >> 8, register & 0xff, count >> 8, count & 0xff));
}

/** The length of the reply to `fn` from `slave` that starts at `bytes[0]`. */
export function modbusReplyMeasure(slave: number, fn: number): (bytes: Uint8Array) => FrameMeasure {
  return (bytes) => {
    if (bytes[0] !== slave) return "skip";
    if (bytes.length < 2) return "more";
    if (bytes[1] === (fn | 0x80)) return 5;
    if (bytes[1] !== fn) return "skip";
    if (bytes.length < 3) return "more";
    return 5 + bytes[2]!;
  };
}

/** The value of `registers` (16-bit words, as sent) read as `type`. */
export function decodeRegisters(words: readonly number[], type: ModbusDataType, wordOrder: "big" | "little"): number {
  const view = new DataView(new ArrayBuffer(4));
  if (type === "int16" || type === "uint16") {
    view.setUint16(0, words[0]!);
    return type === "int16" ? view.getInt16(0) : view.getUint16(0);
  }
  const [high, low] = wordOrder === "big" ? [words[0]!, words[1]!] : [words[1]!, words[0]!];
  view.setUint16(0, high);
  view.setUint16(2, low);
  return type === "int32" ? view.getInt32(0) : type === "uint32" ? view.getUint32(0) : view.getFloat32(0);
}

/** A scale times a raw value, rounded to the precision of the scale's decimals (0.1 × 253 is 25.3, not 25.300000000000001). */
export function scaled(raw: number, scale: number): number {
  if (scale === 1) return raw;
  const value = raw * scale;
  const decimals = (/\.(\d+)$/.exec(String(scale))?.[1]?.length ?? 0) + (Number.isInteger(raw) ? 0 : 9);
  return decimals > 0 && decimals <= 20 ? Number(value.toFixed(Math.min(decimals, 20))) : value;
}

export const modbusRtu: InstrumentDriver = {
  id: "modbus-rtu",
  label: "Modbus RTU device (function 3/4 register reads)",
  kind: "polled",
  serial: { baudRate: 9600, dataBits: 8, parity: "even", stopBits: 1, flowControl: "none" },
  readings(io: InstrumentIO, options: DriverOptions = {}): ReadableStream<Reading[]> {
    const slaveText = options.address ?? "1";
    const slave = Number(slaveText);
    if (!/^\d{1,3}$/.test(slaveText) || slave < 1 || slave > 247) {
      throw new DriverConfigError(`The Modbus slave address must be a number from 1 to 247 (got ${JSON.stringify(slaveText)}); set options.address.`, "bad-address");
    }
    const registers = options.registers ?? [];
    if (registers.length === 0) {
      throw new DriverConfigError(`The modbus-rtu driver needs the register to read (e.g. 0x1000, an Omega CN7800's process value): set options.registers.`, "missing-register");
    }
    for (const r of registers) {
      if (!Number.isInteger(r) || r < 0 || r > 0xffff) throw new DriverConfigError(`A Modbus register is a number from 0 to 65535 (0xFFFF); got ${r}: set options.registers.`, "bad-register");
    }
    const fn = options.functionCode ?? 3;
    if (fn !== 3 && fn !== 4) throw new DriverConfigError(`The Modbus function must be 3 (holding registers) or 4 (input registers), got ${String(fn)}; set options.functionCode.`, "bad-function");
    const type = options.dataType ?? "int16";
    if (!MODBUS_DATA_TYPES.includes(type)) throw new DriverConfigError(`The Modbus data type must be one of ${MODBUS_DATA_TYPES.join(", ")}, got ${JSON.stringify(type)}; set options.dataType.`, "bad-type");
    const wordOrder = options.wordOrder ?? "big";
    if (wordOrder !== "big" && wordOrder !== "little") throw new DriverConfigError(`The word order must be "big" or "little", got ${JSON.stringify(wordOrder)}; set options.wordOrder.`, "bad-word-order");
    const scale = options.scale ?? 1;
    if (!Number.isFinite(scale) || scale === 0) throw new DriverConfigError(`The scale must be a finite number other than 0, got ${scale}; set options.scale.`, "bad-scale");
    const names = options.channels;
    if (names !== undefined && names.length > 0 && names.length !== registers.length) {
      throw new DriverConfigError(`${names.length} channel names for ${registers.length} registers: give one name per register.`, "bad-channels");
    }
    const count = registersOf(type);
    const plan = registers.map((register, i) => ({ register, channel: names?.[i] ?? (registers.length === 1 ? "value" : `register_${register}`) }));
    const gapMs = options.silenceMs ?? 50;
    const framer = (report: (p: DriverProblem) => void) => new EnvelopeFramer({ name: "Modbus reply", measure: modbusReplyMeasure(slave, fn), maxFrameBytes: 5 + 2 * count, gapMs, onProblem: report });
    return pollFrames(io, options, framer, async (q) => {
      const out: Reading[] = [];
      for (const { register, channel } of plan) {
        const what = `register ${register} (0x${register.toString(16).padStart(4, "0")}) of slave ${slave}`;
        await q.send(modbusRequest(slave, fn, register, count));
        const frame = await q.reply();
        if (!frame) continue;
        const bytes = frame.bytes;
        const raw = hex(bytes);
        if (!crcOk(bytes)) {
          q.problem("bad-check", `The reply for ${what} failed its CRC check (a damaged frame); no reading.`, raw, frame.t);
        } else if (bytes[1] === (fn | 0x80)) {
          const code = bytes[2]!;
          q.problem("exception", `Slave ${slave} answered the read of ${what} with exception ${code} (${MODBUS_EXCEPTIONS.get(code) ?? "unknown exception"}); no reading.`, raw, frame.t);
        } else if (bytes[2] !== 2 * count) {
          q.problem("bad-reply", `Asked for ${count} register${count > 1 ? "s" : ""} of ${what}, the reply holds ${bytes[2]} bytes; not read.`, raw, frame.t);
        } else {
          const words = Array.from({ length: count }, (_, i) => (bytes[3 + 2 * i]! << 8) | bytes[4 + 2 * i]!);
          const value = scaled(decodeRegisters(words, type, wordOrder), scale);
          if (!Number.isFinite(value)) q.problem("bad-reply", `${what} holds ${raw.slice(9, -6)}, not a finite ${type}; no reading.`, raw, frame.t);
          else out.push({ channel, t: frame.t, value, units: q.units(channel, "") || undefined });
        }
      }
      return out;
    });
  },
};
