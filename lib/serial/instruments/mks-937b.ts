/**
 * MKS 937B / 937A vacuum gauge controllers (reference §4): host `@253PR1?;FF` → device
 * `@253ACK1.23E-05;FF` (`@`, the three-digit address, `ACK` and the pressure; `;FF` ends a message,
 * there is no CR or LF). `NAK` and an error code is a refusal. A pressure that is not a number — `LO`,
 * `OFF`, `WAIT`, `MISCONN`, `NOGAUGE`, … — is a status, and `>1.00E+03` / `<1.00E-10` are over and
 * under the gauge's range: all reported, never readings. Address 254 is the broadcast address.
 *
 * Timestamp: the receipt time of the reply.
 */
import type { DriverOptions, DriverProblem, InstrumentDriver, InstrumentIO } from "../driver.js";
import { DriverConfigError } from "../driver-error.js";
import { DelimiterFramer, type TimedLine } from "../framing.js";
import type { Reading } from "../../types.js";
import { inputChannels } from "./inputs.js";
import { parseDecimal, pollFrames, visible, type ReplyFramer } from "./polled.js";

export const MKS_TERMINATOR = ";FF";

/** A reply's parts: `{ address, ok, body }` (`ok`: ACK; else NAK with its code in `body`), or undefined. */
export function parseMksReply(text: string): { address: string; ok: boolean; body: string } | undefined {
  const at = text.lastIndexOf("@");
  const m = /^@(\d{3})(ACK|NAK)(.*)$/.exec(at >= 0 ? text.slice(at) : text);
  return m ? { address: m[1]!, ok: m[2] === "ACK", body: m[3]!.trim() } : undefined;
}

export const mks937b: InstrumentDriver = {
  id: "mks-937b",
  label: "MKS 937B/937A gauge controller",
  kind: "polled",
  serial: { baudRate: 9600, dataBits: 8, parity: "none", stopBits: 1, flowControl: "none" },
  readings(io: InstrumentIO, options: DriverOptions = {}): ReadableStream<Reading[]> {
    const raw = options.address ?? "253";
    if (!/^\d{1,3}$/.test(raw) || Number(raw) < 1 || Number(raw) > 254) {
      throw new DriverConfigError(`The MKS 937B address must be a number from 1 to 254 (got ${JSON.stringify(raw)}; the factory setting is 253); set options.address.`, "bad-address");
    }
    const address = raw.padStart(3, "0");
    const plan = inputChannels(options, {
      what: "gauge",
      defaults: ["1"],
      candidates: ["1", "2", "3", "4", "5", "6"],
      normalize: (s) => (/^[1-6]$/.test(s) ? s : undefined),
      allowed: "1 to 6",
      name: (g) => `pressure_${g}`,
    });
    const decoder = new TextDecoder();
    const framer = (report: (p: DriverProblem) => void): ReplyFramer<TimedLine> => {
      const delimited = new DelimiterFramer({ delimiter: MKS_TERMINATOR, maxFrameBytes: 256, onProblem: report });
      return {
        push: (chunk) => delimited.push(chunk).map((f) => ({ text: decoder.decode(f.bytes), t: f.t })),
        reset: () => delimited.reset(),
      };
    };
    return pollFrames(io, options, framer, async (q) => {
      const out: Reading[] = [];
      for (const { input, channel } of plan) {
        const command = `PR${input}?`;
        await q.send(`@${address}${command}${MKS_TERMINATOR}`);
        const frame = await q.reply();
        if (!frame) continue;
        const reply = parseMksReply(frame.text);
        const raw = visible(frame.text + MKS_TERMINATOR);
        if (!reply) {
          q.problem("bad-reply", `Expected @<address>ACK<pressure>;FF from the MKS 937B, got ${raw}.`, raw, frame.t);
        } else if (address !== "254" && reply.address !== address) {
          q.problem("bad-reply", `A reply from address ${reply.address} to a query for address ${address}: is another controller on the line? Not read.`, raw, frame.t);
        } else if (!reply.ok) {
          q.problem("nak", `The MKS 937B refused ${command} (NAK ${reply.body}): is gauge ${input} a pressure channel?`, raw, frame.t);
        } else if (/^[<>]/.test(reply.body)) {
          q.problem("out-of-range", `Gauge ${input} is ${reply.body.startsWith(">") ? "over" : "under"} its range (${reply.body}); no reading.`, raw, frame.t);
        } else {
          const value = parseDecimal(reply.body);
          if (value === undefined) q.problem("status", `Gauge ${input}: ${reply.body || "(empty)"}; no reading.`, raw, frame.t);
          else out.push({ channel, t: frame.t, value, units: q.units(channel, "Torr") });
        }
      }
      return out;
    });
  },
};
