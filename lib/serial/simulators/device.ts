/**
 * What every polled simulator shares: commands cut from the bytes it is sent (by the protocol's own
 * rule), one answer per command after `latencyMs`, stale bytes after a measurement reply on request,
 * overlapping commands counted, measurement numbers counted (and some left unanswered on request).
 */
import type { Output } from "./output.js";
import type { ProducedValue, SimulatorOptions } from "./types.js";

export interface Simulation {
  produced: ProducedValue[];
  received: string[];
  overlaps: number;
  closed: boolean;
  output: Output;
  timers: Set<ReturnType<typeof setTimeout>>;
}

/** An answer to one command; `measurement` replies are followed by `staleAfterReply`. */
export interface Answer {
  reply: string | Uint8Array;
  produced?: ProducedValue | ProducedValue[] | undefined;
  measurement?: boolean;
}

/** A simulated protocol: how commands are cut from the input, and what each gets. */
export interface Protocol {
  /** The commands these bytes complete (the cutter keeps its partial command). */
  commands(bytes: Uint8Array): Uint8Array[];
  /** The answer, or undefined for silence. */
  respond(command: Uint8Array): Answer | undefined;
}

export const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Bytes as one character each. */
export function latin1(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/** A latin1 string as bytes (one byte per character: for frames with bytes above 0x7F). */
export function bytesOf(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
}

const NAMES: ReadonlyMap<number, string> = new Map([[0x02, "<STX>"], [0x03, "<ETX>"], [0x04, "<EOT>"], [0x05, "<ENQ>"], [0x06, "<ACK>"], [0x15, "<NAK>"]]);

/** Control characters and bytes above 0x7E made visible: `<ENQ>`, `<0x8e>`. */
export function visible(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\xff]/g, (c) => NAMES.get(c.charCodeAt(0)) ?? `<0x${c.charCodeAt(0).toString(16).padStart(2, "0")}>`);
}

/** `1.2300E-05`: a mantissa with `digits` decimals, a signed two-digit exponent. */
export function scientific(value: number, digits: number, plus = false): string {
  const [mantissa, exponent] = value.toExponential(digits).split("e") as [string, string];
  const e = Number(exponent);
  return `${plus && value >= 0 ? "+" : ""}${mantissa}E${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
}

/** Commands ended by CR, LF or CR LF (and, with `enq`, an ENQ byte that is a command by itself). */
export function lineCommands(enq = false): (bytes: Uint8Array) => Uint8Array[] {
  let partial: number[] = [];
  return (bytes) => {
    const out: Uint8Array[] = [];
    for (const b of bytes) {
      if (enq && b === 0x05) {
        partial = [];
        out.push(Uint8Array.of(0x05));
      } else if (b === 0x0a || b === 0x0d) {
        if (partial.length > 0) out.push(Uint8Array.from(partial));
        partial = [];
      } else if (partial.length < 256) partial.push(b);
    }
    return out;
  };
}

/** A line protocol: commands as trimmed text, answers as text. */
export function lineProtocol(respond: (command: string) => Answer | undefined, enq = false): Protocol {
  return { commands: lineCommands(enq), respond: (command) => respond(decoder.decode(command)) };
}

/** Numbers measurement queries from 0; `next()` is undefined for a query to be left unanswered. */
export function measurements(options: SimulatorOptions): { next(): number | undefined } {
  let n = 0;
  return {
    next() {
      const k = n++;
      return options.ignore?.(k) ? undefined : k;
    },
  };
}

/** Input bytes → commands → answers, after `latencyMs`, one at a time as a real instrument gives them. */
export function polledDevice(protocol: Protocol, options: SimulatorOptions, sim: Simulation): (bytes: Uint8Array) => void {
  const latencyMs = options.latencyMs ?? 20;
  let busy = false;

  const command = (bytes: Uint8Array) => {
    sim.received.push(visible(latin1(bytes)));
    if (busy) sim.overlaps++;
    const answer = protocol.respond(bytes);
    if (!answer) return;
    busy = true;
    const deliver = () => {
      busy = false;
      if (sim.closed) return;
      sim.output.send(typeof answer.reply === "string" ? encoder.encode(answer.reply) : answer.reply);
      if (answer.produced) sim.produced.push(...(Array.isArray(answer.produced) ? answer.produced : [answer.produced]));
      if (answer.measurement && options.staleAfterReply) sim.output.send(encoder.encode(options.staleAfterReply));
    };
    if (latencyMs <= 0) deliver();
    else {
      const timer = setTimeout(() => {
        sim.timers.delete(timer);
        deliver();
      }, latencyMs);
      sim.timers.add(timer);
    }
  };

  return (bytes) => {
    for (const c of protocol.commands(bytes)) command(c);
  };
}
