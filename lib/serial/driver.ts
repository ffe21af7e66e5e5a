/**
 * The contract between a byte transport (Web Serial, a Node serial port, a Deno device file, stdin, a
 * simulator) and an instrument driver (which turns bytes into readings, querying when it must).
 */
import type { Reading } from "../types.js";

/** Bytes as they arrived, stamped at receipt (Unix epoch seconds, `nowSeconds()`). */
export interface TimedBytes {
  bytes: Uint8Array;
  t: number;
}

/** Serial line settings (Web Serial's SerialOptions, minus bufferSize). */
export interface SerialSettings {
  baudRate: number;
  /** @default 8 */
  dataBits?: 7 | 8;
  /** @default 1 */
  stopBits?: 1 | 2;
  /** @default "none" */
  parity?: "none" | "even" | "odd";
  /** @default "none" */
  flowControl?: "none" | "hardware";
}

/** What a driver talks to. One reader: the driver owns the input while it runs. */
export interface InstrumentIO {
  /** The next bytes received, or undefined after `timeoutMs` (when given) or at the end of input. */
  read(timeoutMs?: number): Promise<TimedBytes | undefined>;
  /** Send bytes to the instrument. */
  write(bytes: Uint8Array): Promise<void>;
  /** Discard what was received and not yet read (stale input before a query). */
  flushInput(): void;
  /** True once the input has ended (the port closed for good). */
  readonly ended: boolean;
}

/** A problem with one frame or one reply: counted and reported, never fatal. */
export interface DriverProblem {
  /** "bad-line", "timeout", "status", "nak", "out-of-range", … */
  kind: string;
  message: string;
  /** The raw frame, as text, when there was one. */
  raw?: string | undefined;
  t: number;
}

/** Modbus register data types: one 16-bit register, or two for the 32-bit ones. */
export type ModbusDataType = "int16" | "uint16" | "int32" | "uint32" | "float32";

/**
 * Something a driver learned that is worth saying once, not a problem: `columns` — the instrument's
 * own header named the columns (and, when `configured` is given, overrode those names).
 */
export interface DriverInfo {
  kind: "columns";
  message: string;
  /** The names the instrument gave, in column order. */
  columns: string[];
  /** The names configured by `options.channels` that the instrument's header replaced, if any. */
  configured?: string[] | undefined;
  t: number;
}

export interface DriverOptions {
  /** Channel names, in column order (streaming lines) or for the values a polled driver reads (one per input). */
  channels?: string[];
  /** Units per channel name. */
  units?: Record<string, string>;
  /** The query a generic SCPI driver sends, e.g. "MEAS:TEMP?". */
  command?: string;
  /**
   * Instrument address: IMPAC two digits (default "00"); Lake Shore input ("A"); Pfeiffer gauge (1);
   * MKS 937B controller 001–254 (default "253"); Eurotherm GID+UID two digits (default "01");
   * Modbus slave 1–247 (default "1"); Inficon SQM-160 sensor(s) 1–6 ("1", or "1,2").
   */
  address?: string;
  /**
   * Which of the instrument's inputs to read, in order, one channel each (`channels[i]` names input i):
   * mks-937b gauges "1"–"6" (default "1"); agilent-xgs600 positions in its pressure list (default all);
   * granville-phillips-350 "IG", "CG1", "CG2" (default "IG"); inficon-sqm160 "rate", "thickness",
   * "frequency", "crystal_life" (default all four); sycon-stm100 "thickness", "rate" (default both);
   * eurotherm-bisynch mnemonics (default "PV", "SL", "OP").
   */
  inputs?: string[];
  /** modbus-rtu: the registers to read (0–65535), one channel each. */
  registers?: number[];
  /** modbus-rtu: 3 (read holding registers) or 4 (read input registers). @default 3 */
  functionCode?: 3 | 4;
  /** modbus-rtu: how a value is stored. @default "int16" */
  dataType?: ModbusDataType;
  /** modbus-rtu: 32-bit types — "big": the high word in the first register; "little": the low word first. @default "big" */
  wordOrder?: "big" | "little";
  /** modbus-rtu: the reading is the register value times this. @default 1 */
  scale?: number;
  /** modbus-rtu: a silence longer than this (ms) inside a reply frame drops it. @default 50 */
  silenceMs?: number;
  /** Polled drivers: keep at most one reading per this many ms (the next query still goes out on reply). @default 0 */
  intervalMs?: number;
  /** Polled drivers: how long to wait for a reply. @default 1000 */
  timeoutMs?: number;
  /** Streaming lines: drop the first line (it may be partial right after connect). @default true */
  dropFirstLine?: boolean;
  /** Stop when this aborts. */
  signal?: AbortSignal;
  /** Told of every bad frame, failed query or status reply; the driver carries on. */
  onProblem?: (problem: DriverProblem) => void;
  /** Told once of what the instrument itself says about its data (the `lines` driver: a header naming the columns). */
  onInfo?: (info: DriverInfo) => void;
}

export interface InstrumentDriver {
  /** Stable id, used by `--driver` and the page's "Driver" select: "lines", "pfeiffer-tpg26x", "mks-937b", "modbus-rtu", … (`DRIVERS`). */
  readonly id: string;
  /** Human name. */
  readonly label: string;
  readonly kind: "streaming" | "polled";
  /** The instrument's usual line settings (a user may change them). */
  readonly serial: SerialSettings;
  /** Readings, in batches, until the input ends or the signal aborts. */
  readings(io: InstrumentIO, options?: DriverOptions): ReadableStream<Reading[]>;
}
