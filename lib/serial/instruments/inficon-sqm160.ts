/**
 * Inficon SQM-160 rate/thickness monitor (and the SQC-310 where the framing is the same), reference §4
 * and pymeasure's `inficon/sqm160.py`. A command is `!`, a length character (len(command) + 34), the
 * command and two CRC characters; a reply is `!`, a length character (len(status + data) + 35), the
 * status (`A` ok; `C` invalid command, `D` bad data), the data and two CRC characters. The CRC-14 (init
 * 0x3FFF, polynomial 0x2001) covers the length character and what follows it, and is sent as two 7-bit
 * halves + 34 — so a CRC byte may be above 0x7F, and no byte but the first is ever `!`.
 *
 * Per sensor (1–6, `options.address`, e.g. "1" or "1,2"): rate `L<s>?` (Å/s), thickness `N<s>` (kÅ),
 * frequency `P<s>` (Hz), crystal life `R<s>` (%), one query each; channels `rate_<s>`, `thickness_<s>`,
 * `frequency_<s>`, `crystal_life_<s>` unless `options.channels` names them. A bad CRC or a status other
 * than `A` is a problem, never a reading.
 *
 * Timestamp: the receipt time of each reply.
 */
import type { DriverOptions, DriverProblem, InstrumentDriver, InstrumentIO } from "../driver.js";
import { DriverConfigError } from "../driver-error.js";
import { sqmCrc } from "../checksums.js";
import { EnvelopeFramer, type FrameMeasure } from "../envelope-framer.js";
import type { Reading } from "../../types.js";
import { latin1, parseDecimal, pollFrames, visible } from "./polled.js";

export const SQM_SYNC = 0x21; // "!"

/** The quantities of a sensor: the command letter (and suffix), the units. */
export const SQM_QUANTITIES: ReadonlyMap<string, { command: (sensor: string) => string; units: string }> = new Map([
  ["rate", { command: (s: string) => `L${s}?`, units: "Å/s" }],
  ["thickness", { command: (s: string) => `N${s}`, units: "kÅ" }],
  ["frequency", { command: (s: string) => `P${s}`, units: "Hz" }],
  ["crystal_life", { command: (s: string) => `R${s}`, units: "%" }],
]);

/** `!` + length + message + CRC, the length character being len(message) + `offset` (34 for a command, 35 for a reply). */
export function sqmFrame(message: Uint8Array, offset: 34 | 35): Uint8Array {
  const body = new Uint8Array(message.length + 1);
  body[0] = message.length + offset;
  body.set(message, 1);
  const crc = sqmCrc(body);
  const frame = new Uint8Array(body.length + 3);
  frame[0] = SQM_SYNC;
  frame.set(body, 1);
  frame.set(crc, body.length + 1);
  return frame;
}

/** The length of a frame starting at `bytes[0]`: `!`, a length character, the message, two CRC bytes. */
export function sqmMeasure(offset: 34 | 35): (bytes: Uint8Array) => FrameMeasure {
  return (bytes) => {
    if (bytes[0] !== SQM_SYNC) return "skip";
    if (bytes.length < 2) return "more";
    const n = bytes[1]! - offset;
    if (n < 1 || n > 200) return "skip";
    return n + 4;
  };
}

/** A whole reply frame: `{ status, data }` if its CRC is right, else undefined. */
export function parseSqmReply(frame: Uint8Array): { status: string; data: string } | undefined {
  const body = frame.subarray(1, frame.length - 2);
  const crc = sqmCrc(body);
  if (crc[0] !== frame[frame.length - 2] || crc[1] !== frame[frame.length - 1]) return undefined;
  return { status: String.fromCharCode(body[1]!), data: latin1(body.subarray(2)) };
}

const encoder = new TextEncoder();
const STATUS: ReadonlyMap<string, string> = new Map([
  ["C", "invalid command"],
  ["D", "problem with the data in the command"],
]);

export const inficonSqm160: InstrumentDriver = {
  id: "inficon-sqm160",
  label: "Inficon SQM-160 / SQC-310 QCM rate monitor",
  kind: "polled",
  serial: { baudRate: 9600, dataBits: 8, parity: "none", stopBits: 1, flowControl: "none" },
  readings(io: InstrumentIO, options: DriverOptions = {}): ReadableStream<Reading[]> {
    const sensors = (options.address ?? "1").split(",").map((s) => s.trim());
    if (sensors.some((s) => !/^[1-6]$/.test(s)) || new Set(sensors).size !== sensors.length) {
      throw new DriverConfigError(`The SQM-160 sensor must be 1 to 6, or a list such as "1,2" (got ${JSON.stringify(options.address)}); set options.address.`, "bad-address");
    }
    const quantities = [...SQM_QUANTITIES.keys()];
    const wanted = (options.inputs ?? quantities).map((q) => q.trim());
    for (const q of wanted) {
      if (!SQM_QUANTITIES.has(q)) throw new DriverConfigError(`${JSON.stringify(q)} is not a quantity the SQM-160 reads: use ${quantities.join(", ")}; set options.inputs.`, "bad-input");
    }
    if (new Set(wanted).size !== wanted.length) throw new DriverConfigError(`options.inputs lists a quantity twice (${wanted.join(", ")}).`, "bad-input");
    let plan = sensors.flatMap((sensor) => wanted.map((quantity) => ({ sensor, quantity, channel: `${quantity}_${sensor}` })));
    const names = options.channels;
    if (names !== undefined && names.length > 0) {
      if (names.length > plan.length || (options.inputs !== undefined && names.length !== plan.length)) {
        throw new DriverConfigError(`${names.length} channel names for ${plan.length} values (${plan.map((p) => p.channel).join(", ")}): give one name per value.`, "bad-channels");
      }
      plan = plan.slice(0, names.length).map((p, i) => ({ ...p, channel: names[i]! }));
    }
    const framer = (report: (p: DriverProblem) => void) => new EnvelopeFramer({ name: "SQM-160 reply", measure: sqmMeasure(35), maxFrameBytes: 210, onProblem: report });
    return pollFrames(io, options, framer, async (q) => {
      const out: Reading[] = [];
      for (const { sensor, quantity: name, channel } of plan) {
        const quantity = SQM_QUANTITIES.get(name)!;
        const command = quantity.command(sensor);
        await q.send(sqmFrame(encoder.encode(command), 34));
        const frame = await q.reply();
        if (!frame) continue;
        const raw = visible(latin1(frame.bytes));
        const reply = parseSqmReply(frame.bytes);
        if (!reply) {
          q.problem("bad-check", `The reply to ${command} failed its CRC check (a damaged frame); no reading.`, raw, frame.t);
        } else if (reply.status !== "A") {
          q.problem("status", `The SQM-160 answered ${command} with status ${reply.status} (${STATUS.get(reply.status) ?? "unknown status"}); no reading.`, raw, frame.t);
        } else {
          const value = parseDecimal(reply.data);
          if (value === undefined) q.problem("bad-reply", `Expected a number in reply to ${command}, got ${visible(reply.data)}.`, raw, frame.t);
          else out.push({ channel, t: frame.t, value, units: q.units(channel, quantity.units) });
        }
      }
      return out;
    });
  },
};
