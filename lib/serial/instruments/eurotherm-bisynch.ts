/**
 * Eurotherm 2000/3000-series controllers over EI-Bisynch (reference §4, after py-ivtools' Eurotherm2408):
 * host `EOT GID GID UID UID C1 C2 ENQ` — the address's two digits each sent twice, then a two-letter
 * mnemonic — → device `STX C1 C2 <data> ETX BCC`, the BCC being the XOR of C1 … ETX (it can be any
 * byte). An `EOT` alone means the controller has no such parameter; `NAK` a refusal. Mnemonics read
 * by default: `PV` (process value, °C), `SL` (setpoint, °C), `OP` (output, %), one channel each named
 * for the mnemonic. A bad BCC, a reply for another mnemonic or data that is not a number is a problem.
 * 7 data bits, even parity, 1 stop bit, 9600 baud.
 *
 * Timestamp: the receipt time of each reply.
 */
import type { DriverOptions, DriverProblem, InstrumentDriver, InstrumentIO } from "../driver.js";
import { DriverConfigError } from "../driver-error.js";
import { xorBcc } from "../checksums.js";
import { EnvelopeFramer, type FrameMeasure } from "../envelope-framer.js";
import type { Reading } from "../../types.js";
import { inputChannels } from "./inputs.js";
import { latin1, parseDecimal, pollFrames, visible } from "./polled.js";

export const EOT = 0x04;
export const ENQ = 0x05;
export const STX = 0x02;
export const ETX = 0x03;
export const NAK = 0x15;

const UNITS: ReadonlyMap<string, string> = new Map([
  ["PV", "C"],
  ["SL", "C"],
  ["SP", "C"],
  ["OP", "%"],
]);

/** The poll for `mnemonic` at a two-digit `address`: `EOT G G U U C1 C2 ENQ`. */
export function bisynchPoll(address: string, mnemonic: string): Uint8Array {
  const [g, u] = address;
  return Uint8Array.from(`\x04${g}${g}${u}${u}${mnemonic}\x05`, (c) => c.charCodeAt(0));
}

/** `STX C1 C2 data ETX BCC`. */
export function bisynchReply(mnemonic: string, data: string): Uint8Array {
  const body = Uint8Array.from(`${mnemonic}${data}\x03`, (c) => c.charCodeAt(0) & 0xff);
  const frame = new Uint8Array(body.length + 2);
  frame[0] = STX;
  frame.set(body, 1);
  frame[body.length + 1] = xorBcc(body);
  return frame;
}

/** A reply: STX … ETX BCC, or EOT / NAK alone. */
export function bisynchMeasure(bytes: Uint8Array): FrameMeasure {
  const first = bytes[0];
  if (first === EOT || first === NAK) return 1;
  if (first !== STX) return "skip";
  for (let i = 1; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === ETX) return i + 2;
    if (b === STX || b === EOT || i > 40) return "skip";
  }
  return "more";
}

export const eurothermBisynch: InstrumentDriver = {
  id: "eurotherm-bisynch",
  label: "Eurotherm 2000/3000 controller (EI-Bisynch)",
  kind: "polled",
  serial: { baudRate: 9600, dataBits: 7, parity: "even", stopBits: 1, flowControl: "none" },
  readings(io: InstrumentIO, options: DriverOptions = {}): ReadableStream<Reading[]> {
    const address = options.address ?? "01";
    if (!/^\d\d$/.test(address)) {
      throw new DriverConfigError(`The Eurotherm address must be two digits, 00 to 99 (got ${JSON.stringify(address)}; the factory setting is 01); set options.address.`, "bad-address");
    }
    const plan = inputChannels(options, {
      what: "mnemonic",
      defaults: ["PV", "SL", "OP"],
      normalize: (s) => (/^[A-Za-z0-9]{2}$/.test(s) ? s.toUpperCase() : undefined),
      allowed: "two-character mnemonics such as PV, SL, OP",
      name: (m) => m,
    });
    const framer = (report: (p: DriverProblem) => void) => new EnvelopeFramer({ name: "EI-Bisynch reply", measure: bisynchMeasure, maxFrameBytes: 48, onProblem: report });
    return pollFrames(io, options, framer, async (q) => {
      const out: Reading[] = [];
      for (const { input, channel } of plan) {
        await q.send(bisynchPoll(address, input));
        const frame = await q.reply();
        if (!frame) continue;
        const bytes = frame.bytes;
        const raw = visible(latin1(bytes));
        if (bytes[0] === EOT) {
          q.problem("status", `Controller ${address} has no parameter ${input} (it answered EOT); no reading.`, raw, frame.t);
          continue;
        }
        if (bytes[0] === NAK) {
          q.problem("nak", `Controller ${address} refused the read of ${input} (NAK); no reading.`, raw, frame.t);
          continue;
        }
        if (xorBcc(bytes.subarray(1, bytes.length - 1)) !== bytes[bytes.length - 1]) {
          q.problem("bad-check", `The reply for ${input} failed its block check (BCC: a damaged frame); no reading.`, raw, frame.t);
          continue;
        }
        const text = latin1(bytes.subarray(1, bytes.length - 2));
        if (text.slice(0, 2) !== input) {
          q.problem("bad-reply", `Asked for ${input}, the reply is for ${visible(text.slice(0, 2))}; not read.`, raw, frame.t);
          continue;
        }
        const value = parseDecimal(text.slice(2));
        if (value === undefined) q.problem("status", `${input} of controller ${address} is ${visible(text.slice(2).trim()) || "empty"}, not a number; no reading.`, raw, frame.t);
        else out.push({ channel, t: frame.t, value, units: q.units(channel, UNITS.get(input) ?? "") || undefined });
      }
      return out;
    });
  },
};
