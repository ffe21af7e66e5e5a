/**
 * Instrument simulators for every driver, on web-standard streams only (browsers, Deno, Node): a byte
 * `readable` (what the instrument sends) and `writable` (what it is sent) that behave like the device —
 * the polled ones answer their queries, the `lines` one streams by itself. Each records what it
 * produced, so a test can compare what reached the server with what the instrument said.
 *
 * Values are deterministic functions of a counter n (the line number, or the number of the measurement
 * query, from 0), unless `options.value` gives others:
 *
 * | id | sends | value(n) |
 * |---|---|---|
 * | `lines` | `# temperature[°C] pressure[mbar]`, then a line every 1/rateHz s | temperature `600 + 25·sin(n/20)` (2 decimals), pressure `(2 + sin(n/50))·1e-7` (4 significant digits) |
 * | `pfeiffer-tpg26x` | `PR1`/`PR2` → ACK, ENQ → `0,1.3700E-06` (other commands: NAK) | `(1 + 0.37·(n mod 7))·1e-6` mbar |
 * | `lakeshore-33x` | `KRDG? A`…`D` → `+077.350` | `77.35 + 0.01·(n mod 50)` K |
 * | `scpi` | `options.command` (default: any query ending in `?`) → `+2.345600E+01` | `23.456 + 0.001·(n mod 100)` |
 * | `impac` | `00ms` (its address, or 99) → `05500` (tenths of °C) | `550 + 0.1·(n mod 100)` °C |
 *
 * `produced` lists, in order, the readings a correct driver reads from what was sent: the values as
 * the digits sent say (`Number` of the text), and nothing for a status ≠ 0, an out-of-range or a bad line.
 */
import { ReadableStreamBase, WritableStreamBase } from "../streams/web-streams.js";
import { DriverConfigError } from "./driver-error.js";

/** One value the simulator sent, as a driver should read it. */
export interface ProducedValue {
  channel: string;
  value: number;
}

export interface SimulatorOptions {
  /** `lines`: lines a second. @default 10 */
  rateHz?: number;
  /** `lines`: end the output after this many data lines. @default Infinity */
  count?: number;
  /** `lines`: "columns" (bare values under the header), "labels" (`name:value`) or "pairs" (`name=value`). @default "columns" */
  format?: "columns" | "labels" | "pairs";
  /** `lines`: send the tail of a line first, as when connecting mid-stream. @default false */
  startMidLine?: boolean;
  /** `lines`: send a line that does not parse instead of data line n. @default none */
  badLine?: (n: number) => boolean;
  /** Polled: delay before each answer, in ms. @default 20 */
  latencyMs?: number;
  /** Polled: leave measurement query n unanswered (the host times out). @default none */
  ignore?: (n: number) => boolean;
  /** Polled: bytes sent unsolicited right after every measurement reply — stale input a host must flush. */
  staleAfterReply?: string;
  /** The value of reading n (instrument units: mbar, K, °C); see the table above for the defaults. */
  value?: (n: number, channel: string) => number;
  /** `pfeiffer-tpg26x`: the status of measurement n (0 ok, 1–6 see PFEIFFER_STATUS). @default 0 */
  status?: (n: number) => number;
  /** `impac`: its two-digit address. @default "00" */
  address?: string;
  /** `scpi`: the query it answers with a reading. @default any query ending in "?" */
  command?: string;
  /**
   * Cut the output into chunks: `{ seed, maxChunk }` draws sizes 1…maxChunk (default 8) from a seeded
   * generator (the `lines` simulator cuts its whole output, so a chunk may end one line and start the
   * next, and a tail may wait for the next line); a function cuts each write as it likes.
   * @default every write in one chunk
   */
  chunking?: { seed?: number; maxChunk?: number } | ((bytes: Uint8Array) => Uint8Array[]);
}

export interface InstrumentSimulator {
  readonly id: string;
  /** What the instrument sends. */
  readonly readable: ReadableStream<Uint8Array>;
  /** What the instrument is sent. */
  readonly writable: WritableStream<Uint8Array>;
  /** The readings a correct driver gets from what was sent, in order. */
  readonly produced: ProducedValue[];
  /** Commands received, control characters made visible (`PR1`, `<ENQ>`). */
  readonly received: string[];
  /** Commands that arrived while an earlier one was still being answered (one query in flight: 0). */
  readonly overlaps: number;
  /** Stop: end the readable, ignore what is written. */
  close(): void;
}

/** The ids `createSimulator` knows: every driver's. */
export const SIMULATOR_IDS = ["lines", "pfeiffer-tpg26x", "lakeshore-33x", "scpi", "impac"] as const;

/** mulberry32: a small seeded generator, the same sequence everywhere. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const encoder = new TextEncoder();

/** `1.2300E-05`: a mantissa with `digits` decimals, a signed two-digit exponent. */
function scientific(value: number, digits: number, plus = false): string {
  const [mantissa, exponent] = value.toExponential(digits).split("e") as [string, string];
  const e = Number(exponent);
  return `${plus && value >= 0 ? "+" : ""}${mantissa}E${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
}

function visible(text: string): string {
  return text.replace(/[\x00-\x1f]/g, (c) => ({ "\x05": "<ENQ>", "\x06": "<ACK>", "\x15": "<NAK>" })[c] ?? `<0x${c.charCodeAt(0).toString(16).padStart(2, "0")}>`);
}

/** The instrument's output: chunking, and the end. */
class Output {
  readonly readable: ReadableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #ended = false;
  #pending = new Uint8Array(0);
  #nextSize = 0;
  readonly #random: (() => number) | undefined;
  readonly #maxChunk: number;
  readonly #cut: ((bytes: Uint8Array) => Uint8Array[]) | undefined;

  constructor(chunking: SimulatorOptions["chunking"], onCancel: () => void) {
    this.#cut = typeof chunking === "function" ? chunking : undefined;
    this.#random = chunking && typeof chunking === "object" ? seeded(chunking.seed ?? 1) : undefined;
    this.#maxChunk = chunking && typeof chunking === "object" ? Math.max(1, chunking.maxChunk ?? 8) : 1;
    this.readable = new ReadableStreamBase<Uint8Array>({
      start: (c) => {
        this.#controller = c;
      },
      cancel: () => {
        this.#ended = true;
        onCancel();
      },
    });
  }

  /** Send bytes; with `hold`, a tail shorter than the next drawn chunk waits for more output. */
  send(bytes: Uint8Array, hold = false): void {
    if (this.#ended) return;
    if (this.#cut) {
      for (const piece of this.#cut(bytes)) if (piece.length > 0) this.#controller.enqueue(piece.slice());
      return;
    }
    if (!this.#random) {
      this.#controller.enqueue(bytes);
      return;
    }
    const all = new Uint8Array(this.#pending.length + bytes.length);
    all.set(this.#pending);
    all.set(bytes, this.#pending.length);
    let at = 0;
    for (;;) {
      if (this.#nextSize === 0) this.#nextSize = 1 + Math.floor(this.#random() * this.#maxChunk);
      if (all.length - at < this.#nextSize) break;
      this.#controller.enqueue(all.slice(at, at + this.#nextSize));
      at += this.#nextSize;
      this.#nextSize = 0;
    }
    this.#pending = all.slice(at);
    if (!hold && this.#pending.length > 0) {
      this.#controller.enqueue(this.#pending);
      this.#pending = new Uint8Array(0);
    }
  }

  end(): void {
    if (this.#ended) return;
    if (this.#pending.length > 0) this.#controller.enqueue(this.#pending);
    this.#ended = true;
    try {
      this.#controller.close();
    } catch {
      // already closed or cancelled
    }
  }
}

interface Simulation {
  produced: ProducedValue[];
  received: string[];
  overlaps: number;
  closed: boolean;
  output: Output;
  timers: Set<ReturnType<typeof setTimeout>>;
}

/** A simulated instrument for this driver id; an unknown id is a `DriverConfigError` listing the ids. */
export function createSimulator(id: string, options: SimulatorOptions = {}): InstrumentSimulator {
  if (!(SIMULATOR_IDS as readonly string[]).includes(id)) {
    throw new DriverConfigError(`No simulator for ${JSON.stringify(id)}. Use one of: ${SIMULATOR_IDS.join(", ")}.`, "unknown-simulator");
  }
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const stop = () => {
    sim.closed = true;
    for (const t of timers) clearTimeout(t);
    timers.clear();
  };
  const sim: Simulation = {
    produced: [],
    received: [],
    overlaps: 0,
    closed: false,
    output: new Output(options.chunking, stop),
    timers,
  };
  const input = id === "lines" ? () => {} : polledDevice(id, options, sim);
  if (id === "lines") streamLines(options, sim);
  const writable = new WritableStreamBase<Uint8Array>({
    write(bytes) {
      if (!sim.closed) input(bytes);
    },
  });
  return {
    id,
    readable: sim.output.readable,
    writable,
    get produced() {
      return sim.produced;
    },
    get received() {
      return sim.received;
    },
    get overlaps() {
      return sim.overlaps;
    },
    close() {
      stop();
      sim.output.end();
    },
  };
}

// ---- lines ----

const LINE_COLUMNS = [
  { name: "temperature", units: "°C", value: (n: number) => 600 + 25 * Math.sin(n / 20), format: (v: number) => v.toFixed(2) },
  { name: "pressure", units: "mbar", value: (n: number) => (2 + Math.sin(n / 50)) * 1e-7, format: (v: number) => v.toExponential(3) },
];

function streamLines(options: SimulatorOptions, sim: Simulation): void {
  const periodMs = 1000 / (options.rateHz ?? 10);
  const count = options.count ?? Infinity;
  const format = options.format ?? "columns";
  const send = (text: string) => sim.output.send(encoder.encode(text), true);
  if (options.startMidLine) send("1.75 2.5e-7\r\n");
  send(`# ${LINE_COLUMNS.map((c) => `${c.name}[${c.units}]`).join(" ")}\r\n`);
  let n = 0;
  const tick = () => {
    if (sim.closed) return;
    if (options.badLine?.(n)) {
      send(`sensor glitch #${n}\r\n`);
    } else {
      const fields = LINE_COLUMNS.map((c) => {
        const text = c.format(options.value?.(n, c.name) ?? c.value(n));
        sim.produced.push({ channel: c.name, value: Number(text) });
        return format === "columns" ? text : `${c.name}${format === "labels" ? ":" : "="}${text}`;
      });
      send(`${fields.join(format === "labels" ? "," : " ")}\r\n`);
    }
    n++;
    if (n >= count) {
      sim.closed = true;
      sim.output.end();
      return;
    }
    const timer = setTimeout(() => {
      sim.timers.delete(timer);
      tick();
    }, periodMs);
    sim.timers.add(timer);
  };
  const first = setTimeout(() => {
    sim.timers.delete(first);
    tick();
  }, periodMs);
  sim.timers.add(first);
}

// ---- polled instruments ----

/** An answer to one command; `measurement` replies are followed by `staleAfterReply`. */
interface Answer {
  reply: string;
  produced?: ProducedValue | undefined;
  measurement?: boolean;
}

/** Input bytes → commands (CR, LF or CR LF ends one; the Pfeiffer's ENQ is one by itself) → answers. */
function polledDevice(id: string, options: SimulatorOptions, sim: Simulation): (bytes: Uint8Array) => void {
  const respond = responder(id, options);
  const latencyMs = options.latencyMs ?? 20;
  const decoder = new TextDecoder();
  let partial: number[] = [];
  let busy = false;

  const command = (text: string) => {
    sim.received.push(visible(text));
    if (busy) sim.overlaps++;
    const answer = respond(text);
    if (!answer) return;
    busy = true;
    const deliver = () => {
      busy = false;
      if (sim.closed) return;
      sim.output.send(encoder.encode(answer.reply));
      if (answer.produced) sim.produced.push(answer.produced);
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
    for (const b of bytes) {
      if (b === 0x05 && id === "pfeiffer-tpg26x") {
        partial = [];
        command("\x05");
      } else if (b === 0x0a || b === 0x0d) {
        if (partial.length > 0) command(decoder.decode(Uint8Array.from(partial)));
        partial = [];
      } else if (partial.length < 256) {
        partial.push(b);
      }
    }
  };
}

function responder(id: string, options: SimulatorOptions): (command: string) => Answer | undefined {
  let n = 0;
  /** The next measurement's number, or undefined when it is to be left unanswered. */
  const measurement = (): number | undefined => {
    const k = n++;
    return options.ignore?.(k) ? undefined : k;
  };
  const value = (k: number, channel: string, fallback: (k: number) => number) => options.value?.(k, channel) ?? fallback(k);

  switch (id) {
    case "pfeiffer-tpg26x": {
      let data: Answer | undefined; // what the next ENQ gets
      return (command) => {
        const text = command.trim().toUpperCase();
        if (command === "\x05") {
          return data ?? { reply: "\x15\r\n" };
        }
        const pr = /^PR([1-2])$/.exec(text);
        if (pr) {
          const k = measurement();
          if (k === undefined) return undefined;
          const status = options.status?.(k) ?? 0;
          const digits = scientific(value(k, "pressure", (i) => (1 + 0.37 * (i % 7)) * 1e-6), 4);
          data = { reply: `${status},${digits}\r\n`, produced: status === 0 ? { channel: "pressure", value: Number(digits) } : undefined, measurement: true };
          return { reply: "\x06\r\n" };
        }
        if (text === "UNI") data = { reply: "0\r\n" };
        else if (text === "TID") data = { reply: "PKR,IKR9\r\n" };
        else return { reply: "\x15\r\n" };
        return { reply: "\x06\r\n" };
      };
    }
    case "lakeshore-33x":
      return (command) => {
        const text = command.trim().toUpperCase();
        if (text === "*IDN?") return { reply: "LSCI,MODEL336,SIM0001/#######,2.9\r\n" };
        const m = /^KRDG\?\s*([A-D][1-5]?)$/.exec(text);
        if (!m) return undefined; // a Lake Shore does not answer what it does not know
        const k = measurement();
        if (k === undefined) return undefined;
        const channel = `temperature_${m[1]}`;
        const v = value(k, channel, (i) => 77.35 + 0.01 * (i % 50));
        const digits = `${v < 0 ? "-" : "+"}${Math.abs(v).toFixed(3).padStart(7, "0")}`;
        return { reply: `${digits}\r\n`, produced: { channel, value: Number(digits) }, measurement: true };
      };
    case "scpi":
      return (command) => {
        const text = command.trim();
        if (text.toUpperCase() === "*IDN?") return { reply: "ATOMSCALE,SIMULATED-SCPI,0,1.0\n" };
        const matches = options.command ? text.toUpperCase() === options.command.trim().toUpperCase() : text.endsWith("?");
        if (!matches) return undefined;
        const k = measurement();
        if (k === undefined) return undefined;
        const digits = scientific(value(k, "value", (i) => 23.456 + 0.001 * (i % 100)), 6, true);
        return { reply: `${digits}\n`, produced: { channel: "value", value: Number(digits) }, measurement: true };
      };
    default: {
      // impac
      const address = options.address ?? "00";
      return (command) => {
        const m = /^(\d\d)ms$/.exec(command.trim());
        if (!m || (m[1] !== address && m[1] !== "99")) return undefined;
        const k = measurement();
        if (k === undefined) return undefined;
        const tenths = Math.round(value(k, "temperature", (i) => 550 + 0.1 * (i % 100)) * 10);
        const reply = `${String(tenths).padStart(5, "0")}\r`;
        return { reply, produced: tenths <= 77769 ? { channel: "temperature", value: tenths / 10 } : undefined, measurement: true };
      };
    }
  }
}
