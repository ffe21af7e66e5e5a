/**
 * Sycon STM-100/MF thickness/rate monitor (reference §4; the Sycon protocol as a public STM-100 driver
 * uses it): a command and its reply are both `STX LEN DATA CHK` — LEN the number of data bytes (1–10),
 * CHK the sum of the data bytes modulo 256. A reply's first data character is its code: `A` or `B` ok
 * (`B`: the power-lost flag is set), `F`–`K` an illegal command, value or modifier. `S` reads the
 * thickness in Å (a signed integer, e.g. `-0001595`), `T` the rate in Å/s (`012.3`). A bad check byte,
 * an error code or a value that is not a number (`--------`, no crystal) is a problem, never a reading.
 *
 * Timestamp: the receipt time of each reply.
 */
import type { DriverOptions, DriverProblem, InstrumentDriver, InstrumentIO } from "../driver.js";
import { sum8 } from "../checksums.js";
import { EnvelopeFramer, type FrameMeasure } from "../envelope-framer.js";
import type { Reading } from "../../types.js";
import { inputChannels } from "./inputs.js";
import { latin1, parseDecimal, pollFrames, visible } from "./polled.js";

export const STX = 0x02;

/** What the STM-100 reads, by input name: its command and units. */
export const STM_QUANTITIES: ReadonlyMap<string, { command: string; units: string }> = new Map([
  ["thickness", { command: "S", units: "Å" }],
  ["rate", { command: "T", units: "Å/s" }],
]);

/** Reply codes other than A/B. */
export const STM_CODES: ReadonlyMap<string, string> = new Map([
  ["F", "illegal command"],
  ["G", "illegal command, power-lost flag set"],
  ["H", "illegal data value"],
  ["I", "illegal data value, power-lost flag set"],
  ["J", "illegal command modifier"],
  ["K", "illegal command modifier, power-lost flag set"],
]);

/** `STX LEN DATA CHK`. */
export function stmFrame(data: Uint8Array): Uint8Array {
  const frame = new Uint8Array(data.length + 3);
  frame[0] = STX;
  frame[1] = data.length;
  frame.set(data, 2);
  frame[data.length + 2] = sum8(data);
  return frame;
}

export function stmMeasure(bytes: Uint8Array): FrameMeasure {
  if (bytes[0] !== STX) return "skip";
  if (bytes.length < 2) return "more";
  const n = bytes[1]!;
  return n >= 1 && n <= 10 ? n + 3 : "skip";
}

/** The data of a whole frame if its check byte is right, else undefined. */
export function parseStmFrame(frame: Uint8Array): string | undefined {
  const data = frame.subarray(2, frame.length - 1);
  return sum8(data) === frame[frame.length - 1] ? latin1(data) : undefined;
}

const encoder = new TextEncoder();

export const syconStm100: InstrumentDriver = {
  id: "sycon-stm100",
  label: "Sycon STM-100/MF QCM thickness monitor",
  kind: "polled",
  serial: { baudRate: 9600, dataBits: 8, parity: "none", stopBits: 1, flowControl: "none" },
  readings(io: InstrumentIO, options: DriverOptions = {}): ReadableStream<Reading[]> {
    const plan = inputChannels(options, {
      what: "quantity",
      defaults: ["thickness", "rate"],
      normalize: (s) => (STM_QUANTITIES.has(s.toLowerCase()) ? s.toLowerCase() : undefined),
      allowed: "thickness or rate",
      name: (s) => s,
    });
    const framer = (report: (p: DriverProblem) => void) => new EnvelopeFramer({ name: "STM-100 reply", measure: stmMeasure, maxFrameBytes: 13, onProblem: report });
    return pollFrames(io, options, framer, async (q) => {
      const out: Reading[] = [];
      for (const { input, channel } of plan) {
        const { command, units } = STM_QUANTITIES.get(input)!;
        await q.send(stmFrame(encoder.encode(command)));
        const frame = await q.reply();
        if (!frame) continue;
        const raw = visible(latin1(frame.bytes));
        const data = parseStmFrame(frame.bytes);
        if (data === undefined) {
          q.problem("bad-check", `The reply to ${command} (${input}) failed its checksum (a damaged frame); no reading.`, raw, frame.t);
          continue;
        }
        const code = data[0]!;
        const body = data.slice(1).trim();
        if (code !== "A" && code !== "B") {
          q.problem("status", `The STM-100 answered ${command} (${input}) with code ${code} (${STM_CODES.get(code) ?? "unknown code"}); no reading.`, raw, frame.t);
          continue;
        }
        const value = parseDecimal(body);
        if (value === undefined) q.problem("status", `The STM-100 has no ${input} (${visible(body) || "empty"}); no reading.`, raw, frame.t);
        else out.push({ channel, t: frame.t, value, units: q.units(channel, units) });
      }
      return out;
    });
  },
};
